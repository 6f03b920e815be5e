"""A paper as Markdown (GET /papers/{id}.md, what huggingface_hub's `read_paper` fetches): the title
as a heading, the facts as a list, the abstract as paragraphs. Pure.

Stored text may hold anything, and it goes in so that it reads as written but cannot change the
document's structure or make markup: whitespace is folded (a title is one heading line, a paragraph
one line); a line that would open a block (heading, list, quote, fence, rule, table) starts with a
backslash; `<`, `[` and `]` are escaped everywhere, so the text makes no raw HTML, autolink or link;
and a backslash before punctuation is doubled, so an escape written in the text stays text. `*` and
`_` are left alone: they change no structure, and math (`$x_i^*$`) keeps its form. Links are only
http(s) URLs, with the characters that could end or bend them percent-encoded.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from paperfeed.web.cards import Card
from paperfeed.web.markup import http_url

_WHITESPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_BACKSLASH_ESCAPE = re.compile(r"\\(?=[!-/:-@\[-`{-~])")  # CommonMark escapes any ASCII punctuation
_MARKUP = re.compile(r"[<\[\]]")
_BLOCK_START = re.compile(r"^(?:[#>+*=`~|-]|\d{1,9}(?=[.)]))")
_URL_UNSAFE = {"<": "%3C", ">": "%3E", "[": "%5B", "]": "%5D", "\\": "%5C", "`": "%60", " ": "%20"}


def inline(text: str) -> str:
    """`text` on one line, escaped so that it is only text inside a line."""
    folded = _WHITESPACE.sub(" ", text).strip()
    return _MARKUP.sub(lambda m: "\\" + m.group(), _BACKSLASH_ESCAPE.sub(r"\\\\", folded))


def line(text: str) -> str:
    """`text` as a line of its own that opens no block: a leading marker is escaped."""
    escaped = inline(text)
    match = _BLOCK_START.match(escaped)
    if match is None:
        return escaped
    if match.group().isdigit():  # "2024. A year" would be item 2024 of a list: escape its "."
        return f"{match.group()}\\{escaped[match.end():]}"
    return "\\" + escaped


def heading(text: str) -> str:
    # Every '#' escaped: a trailing run would be taken for the heading's closing sequence.
    return "# " + inline(text).replace("#", "\\#")


def url(value: str | None) -> str:
    """An http(s) URL that a Markdown reader links as written, or '' for anything else."""
    checked = http_url(value)
    return "".join(_URL_UNSAFE.get(c, c) for c in checked)


def paragraphs(text: str) -> list[str]:
    return [line(part) for part in _PARAGRAPH_BREAK.split(text) if part.strip()]


def _day(value: date | datetime | None) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat() if value else None


def paper_markdown(card: Card, page_url: str) -> str:
    """The paper of `card` as a Markdown document; `page_url` is its page on this site."""
    paper = card.paper
    facts: list[tuple[str, str | None]] = [
        ("arXiv", inline(paper.arxiv_id + (f" (version {paper.version})" if paper.version else ""))
         if paper.arxiv_id else None),
        ("DOI", inline(paper.doi) if paper.doi else None),
        ("Authors", inline(", ".join(paper.authors)) if paper.authors else None),
        ("Published", _day(paper.published_on)),
        ("Updated", _day(paper.updated_on)),
        ("Categories", inline(", ".join(paper.categories)) if paper.categories else None),
        ("Upvotes", str(card.upvotes)),
        ("Featured on the daily feed", _featured(card)),
        ("Abstract page", url(paper.abs_url)),
        ("PDF", url(paper.pdf_url)),
        ("Code", url(paper.code_url)),
        ("Project page", url(paper.project_url)),
        ("On this site", url(page_url)),
    ]
    parts = [heading(paper.title), "\n".join(f"- **{name}:** {value}" for name, value in facts if value)]
    abstract = paragraphs(paper.abstract)
    if abstract:
        parts += ["## Abstract", *abstract]
    return "\n\n".join(parts) + "\n"


def _featured(card: Card) -> str | None:
    if card.submitted_at is None:
        return None
    by = f", submitted by {inline(card.submitted_by)}" if card.submitted_by else ""
    return f"{_day(card.submitted_at)}{by}"
