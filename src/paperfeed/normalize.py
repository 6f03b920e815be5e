"""Normalization of what sources report: whitespace, text-mode LaTeX, author names. Pure and fast.

Math ($...$, $$...$$, \\(...\\), \\[...\\]) is kept verbatim so the web app can render it with KaTeX;
only text-mode LaTeX (accents, \\emph{}, escapes, quotes) is turned into Unicode. This is a targeted
rewrite rather than a full LaTeX parser because it runs on every ingested abstract (pylatexenc takes
~0.8 ms a call, which alone would cap ingest well below 5,000 papers/s).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from paperfeed.errors import InvalidRecord
from paperfeed.identity import arxiv_id_from_doi
from paperfeed.models import PaperRecord

MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 2_000

# Combining marks for LaTeX accent commands.
_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_LETTER_MACROS = {
    "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "o": "ø", "O": "Ø",
    "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dag": "†", "S": "§", "P": "¶", "copyright": "©",
    "ldots": "…", "dots": "…", "textendash": "–", "textemdash": "—", "LaTeX": "LaTeX", "TeX": "TeX",
}
# Patterns start with a literal backslash or dollar, so the regex engine can skip ahead quickly.
_DOLLAR_MATH = re.compile(r"(\$\$[^$]+\$\$|\$[^$]+\$)")
_ANY_MATH = re.compile(r"(\$\$[^$]+\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
_ESCAPED_DOLLAR = "\x00"  # stands in for \$ while splitting; control characters are gone by then
_ACCENT_CMD = re.compile(
    r"\\([\"'`^~=.])\s*(?:\{([A-Za-z]|\\[ij])\}|([A-Za-z]|\\[ij]))"
    r"|\\([uvHckrdb])(?:\{([A-Za-z])\}|\s+([A-Za-z]))"
)
_LETTER_CMD = re.compile(r"\\(" + "|".join(sorted(_LETTER_MACROS, key=len, reverse=True)) + r")(?![A-Za-z])\s?")
_STYLE_CMD = re.compile(
    r"\\(?:emph|textbf|textit|texttt|textsc|textrm|textsf|textup|textnormal|underline|mbox|text|url)\s*\{([^{}]*)\}"
)
_HREF = re.compile(r"\\href\s*\{[^{}]*\}\s*\{([^{}]*)\}")
_DROP_CMD = re.compile(r"\\(?:cite[tp]?|citep|citet|ref|label|footnote)\s*\{[^{}]*\}")
_ESCAPES = {"\\&": "&", "\\%": "%", "\\_": "_", "\\#": "#", "\\$": "$", "\\{": "{", "\\}": "}"}
_ESCAPE = re.compile(r"\\[&%_#${}]")
_LINEBREAK = re.compile(r"\\\\|\\newline\b|\\par\b")
_BRACED_WORD = re.compile(r"\{([^{}\\$]*)\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ODD_SPACE = re.compile(r"\s\s|[^\S ]")  # two blanks in a row, or any blank but a plain space
_OLD_STYLE = re.compile(r"\{\\(?:em|bf|it|sc|tt|rm|sf)\s+([^{}]*)\}")
_SPACING_CMD = re.compile(r"\\[,;: !]")
_TIE = re.compile(r"(?<!/)~")  # a LaTeX tie, but not the ~ of a URL like /~user/
_AFFILIATION = re.compile(r"\s*\((?:\d+(?:,\s*\d+)*|[^()]*(?:Univ|Inst|Lab|Dept|College)[^()]*)\)\s*$")
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*)*")
_NAME_SUFFIX = re.compile(r"^(?:jr\.?|sr\.?|ii|iii|iv)$", re.IGNORECASE)


def _accent(match: re.Match[str]) -> str:
    groups = match.groups()
    command = groups[0] or groups[3]
    letter = next(g for g in groups[1:3] + groups[4:] if g)
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + _ACCENTS[command])


def _strip_style_commands(text: str) -> str:
    for _ in range(3):  # nested \emph{\textbf{x}}
        text, count = _STYLE_CMD.subn(r"\1", text)
        if not count:
            break
    return text


def _text_latex_to_unicode(text: str) -> str:
    # Each rewrite runs only when its trigger character is present: most text needs none.
    if "\\" in text:
        text = _ACCENT_CMD.sub(_accent, text)
        text = _LETTER_CMD.sub(lambda m: _LETTER_MACROS[m.group(1)], text)
        text = _HREF.sub(r"\1", text)
        text = _DROP_CMD.sub("", text)
        text = _OLD_STYLE.sub(r"\1", text)
        text = _strip_style_commands(text)
        if "{" in text:  # \emph{{BERT} rocks}: protective braces first, then the command
            text = _strip_style_commands(_BRACED_WORD.sub(r"\1", text))
        text = _LINEBREAK.sub(" ", text)
        text = _SPACING_CMD.sub(" ", text)
    if "`" in text or "''" in text:
        text = text.replace("``", "\u201c").replace("''", "\u201d")
    if "--" in text:
        text = text.replace("---", "\u2014").replace("--", "\u2013")
    if "~" in text:
        text = _TIE.sub(" ", text)
    if "{" in text:
        text = _BRACED_WORD.sub(r"\1", text)  # {BERT} -> BERT: protective braces
    if "\\" in text:
        text = _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text)
    return text


def _needs_latex(text: str) -> bool:
    # Plain substring tests (memchr) are several times faster than one regex search here.
    return "\\" in text or "{" in text or "~" in text or "`" in text or "''" in text or "--" in text


def _collapse_whitespace(text: str) -> str:
    if _ODD_SPACE.search(text) or text[:1].isspace() or text[-1:].isspace():
        return " ".join(text.split())
    return text


def _split_math(text: str) -> list[str]:
    """[text, math, text, math, ..., text]: math segments sit at odd indexes, kept verbatim.

    Plain regexes without look-behind: an escaped dollar is swapped out first instead, which
    keeps this about ten times faster on abstracts full of math.
    """
    if "\\$" in text:
        text = text.replace("\\$", _ESCAPED_DOLLAR)
    if "\\(" in text or "\\[" in text:
        return _ANY_MATH.split(text)
    return _DOLLAR_MATH.split(text) if "$" in text else [text]


def clean_text(text: str | None) -> str:
    """Collapse whitespace, drop control characters, turn text-mode LaTeX into Unicode, keep math."""
    if not text:
        return ""
    text = _collapse_whitespace(text)
    if _CONTROL.search(text):
        text = " ".join(_CONTROL.sub("", text).split())
    if _needs_latex(text):
        parts = _split_math(text)
        parts[::2] = [
            (_text_latex_to_unicode(part) if _needs_latex(part) else part).replace(_ESCAPED_DOLLAR, "$")
            for part in parts[::2]
        ]
        parts[1::2] = [part.replace(_ESCAPED_DOLLAR, "\\$") for part in parts[1::2]]
        text = _collapse_whitespace("".join(parts))
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def normalize_author(name: str) -> str:
    """'Hickernell, Fred J.' -> 'Fred J. Hickernell'; LaTeX accents and affiliations removed."""
    if _PLAIN_NAME.fullmatch(name):  # most names need nothing: skip the general path
        return name
    name = _AFFILIATION.sub("", clean_text(name)).strip(" ,;")
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if first and last and not _NAME_SUFFIX.match(first):
            name = f"{first} {last}"
    return name


def normalize_record(record: PaperRecord) -> PaperRecord:
    """Clean a record's text fields; raise InvalidRecord when it cannot become a paper."""
    title = clean_text(record.title)
    if not title:
        raise InvalidRecord("empty title")
    if len(title) > MAX_TITLE_CHARS:
        raise InvalidRecord(f"title longer than {MAX_TITLE_CHARS} characters")
    abstract = clean_text(record.abstract)
    if len(abstract) > MAX_ABSTRACT_CHARS:
        raise InvalidRecord(f"abstract longer than {MAX_ABSTRACT_CHARS} characters")
    authors = tuple(a for a in (normalize_author(n) for n in record.authors) if a)
    if len(authors) > MAX_AUTHORS:
        authors = authors[:MAX_AUTHORS]
    categories = tuple(dict.fromkeys(c.strip() for c in record.categories if c and c.strip()))
    arxiv_id, version = record.arxiv_id, record.version
    if arxiv_id is None and record.doi:
        arxiv_id, version = arxiv_id_from_doi(record.doi) or (None, version)
    return replace(record, title=title, abstract=abstract, authors=authors, categories=categories,
                   arxiv_id=arxiv_id, version=version)
