"""CSL-JSON (Zotero's "CSL JSON" export, citeproc's input): the works an array of CSL items names, and papers
as CSL items valid against the CSL 1.0.2 input schema.

The array is read item by item, so that each item has its line and a broken one costs only itself: after a
syntax error, reading resumes at the next line that opens an item at the first item's indentation (as a
pretty-printed export has it); a file on one line cannot resume and keeps the items before the error."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator, Sequence

from paperfeed.citations.identifiers import first_arxiv_id, first_doi
from paperfeed.citations.models import CitationProblem, CitedWork, ParsedCitations
from paperfeed.citations.names import join_name, split_name
from paperfeed.citations.paper_links import paper_url
from paperfeed.citations.works import build_work
from paperfeed.errors import InvalidRecord
from paperfeed.models import Paper

_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"\s*")
_NEWLINE = re.compile("\n")
_ID = re.compile(r'"id"\s*:\s*"([^"\\]{1,200})"')
# Item fields where exporters leave an arXiv id or a DOI in running text.
_TEXT_FIELDS = ("URL", "note", "container-title", "number", "archive_location", "id", "source", "collection-title")
_ARXIV_HOMES = ("publisher", "archive", "source", "container-title")  # "arXiv" here: number is an arXiv id


def read_csl_json(text: str) -> ParsedCitations:
    result = ParsedCitations(format="csl-json")
    for index, line, item in _items(text, result.problems):
        key = str(item["id"]) if isinstance(item, dict) and isinstance(item.get("id"), str | int) else None
        try:
            result.works.append(_work(item, line))
        except InvalidRecord as exc:
            result.problems.append(CitationProblem(line, key, f"item {index}: {exc}"))
    return result


def write_csl_json(papers: Sequence[Paper], keys: Sequence[str]) -> str:
    items = [_item(paper, key) for paper, key in zip(papers, keys, strict=True)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _items(text: str, problems: list[CitationProblem]) -> Iterator[tuple[int, int, object]]:
    """(1-based index, line, decoded value) of each item of the top-level array (or of a lone item)."""
    line_of = _LineIndex(text).line_of
    position = _skip_blank(text, 0)
    if text.startswith("{", position):  # one item alone, as doi.org's content negotiation answers
        yield from _lone_item(text, position, problems, line_of)
        return
    if not text.startswith("[", position):
        problems.append(CitationProblem(line_of(position), None, "not CSL-JSON: expected an array of items"))
        return
    position, index, indent, after_item = _skip_blank(text, position + 1), 0, None, False
    while position < len(text) and not text.startswith("]", position):
        if after_item:  # between items: a comma, and a trailing comma before "]" is forgiven
            if not text.startswith(",", position):
                problems.append(CitationProblem(line_of(position), None, f"expected ',' after item {index}"))
                return
            position = _skip_blank(text, position + 1)
            if text.startswith("]", position):
                break
        index += 1
        if indent is None:
            indent = _indent_of(text, position)
        try:
            value, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            problems.append(_syntax_problem(text, position, index, exc, line_of))
            position = _next_item_start(text, max(text.rfind("\n", 0, exc.pos), position), indent)
            if position is None:
                return
            after_item = False
            continue
        yield index, line_of(position), value
        position, after_item = _skip_blank(text, end), True
    if position >= len(text):
        problems.append(CitationProblem(line_of(position), None, "the array is never closed (a cut-off file?)"))


def _lone_item(text: str, position: int, problems: list[CitationProblem],
               line_of: Callable[[int], int]) -> Iterator[tuple[int, int, object]]:
    try:
        value, _end = _DECODER.raw_decode(text, position)
    except json.JSONDecodeError as exc:
        problems.append(_syntax_problem(text, position, 1, exc, line_of))
        return
    yield 1, line_of(position), value


def _syntax_problem(text: str, start: int, index: int, exc: json.JSONDecodeError,
                    line_of: Callable[[int], int]) -> CitationProblem:
    """The broken item where it starts, with its id if one comes before the error, and where the error is."""
    key = _ID.search(text, start, exc.pos)
    return CitationProblem(line_of(start), key.group(1) if key else None,
                           f"item {index}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")


def _next_item_start(text: str, after: int, indent: str | None) -> int | None:
    """Where the next item opens, from `after` on: a line of the first item's indentation, then '{'. The
    caller starts at the line of the error, which may be the next item's first line (an unclosed item)."""
    if indent is None:
        return None
    match = re.compile("\n" + re.escape(indent) + r"\{").search(text, after)
    return match.end() - 1 if match else None


def _indent_of(text: str, position: int) -> str | None:
    """The blanks before `position` on its line, if only blanks come before it there."""
    line_start = text.rfind("\n", 0, position) + 1
    before = text[line_start:position]
    return before if line_start and not before.strip() else None


def _skip_blank(text: str, position: int) -> int:
    return _BLANK.match(text, position).end()


class _LineIndex:
    """The line of any position of one text, by binary search over its line starts (counting newlines
    up to each item would take quadratic time on a long file)."""

    def __init__(self, text: str) -> None:
        self._starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self._starts, position)


def _work(item: object, line: int) -> CitedWork:
    if not isinstance(item, dict):
        raise InvalidRecord(f"not a CSL item but a JSON {type(item).__name__}")
    texts = [_text(item.get(name)) for name in _TEXT_FIELDS]
    on_arxiv = any("arxiv" in (_text(item.get(name)) or "").lower() for name in _ARXIV_HOMES)
    id_fields = [_text(item.get("number")), _text(item.get("archive_location"))] if on_arxiv else []
    return build_work(
        line=line,
        title=_text(item.get("title")),
        authors=[name for person in _list(item.get("author")) if (name := _person(person))],
        year=_year(item.get("issued")),
        arxiv_id=first_arxiv_id(id_fields, texts),
        doi=first_doi([_text(item.get("DOI"))], texts),
    )


def _person(person: object) -> str | None:
    if not isinstance(person, dict):
        return _text(person)
    if literal := _text(person.get("literal")):
        return literal
    family = " ".join(filter(None, (_text(person.get(part)) for part in
                                    ("dropping-particle", "non-dropping-particle", "family"))))
    return join_name(family, _text(person.get("given")) or "", _text(person.get("suffix")) or "") or None


def _year(issued: object) -> object:
    """A CSL date: {"date-parts": [[2019, 6, 1]]}, {"raw": "2019-06-01"}, {"literal": ...} or an EDTF string."""
    if isinstance(issued, dict):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            return parts[0][0]
        return _text(issued.get("raw")) or _text(issued.get("literal")) or _text(issued.get("edtf"))
    return _text(issued)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _item(paper: Paper, key: str) -> dict:
    item: dict = {"id": key, "type": "article", "title": paper.title,
                  "author": [_csl_name(name) for name in paper.authors]}
    if day := paper.day:
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    item.update(abstract=paper.abstract, DOI=paper.doi, URL=paper_url(paper))
    if paper.arxiv_id:  # as Zotero describes an arXiv preprint
        item.update(number=paper.arxiv_id, publisher="arXiv")
    return {name: value for name, value in item.items() if value}


def _csl_name(name: str) -> dict:
    parts = split_name(name)
    if parts.literal or not parts.given:
        return {"literal": parts.family}
    person = {"family": parts.family, "given": parts.given}
    if parts.suffix:
        person["suffix"] = parts.suffix
    return person
