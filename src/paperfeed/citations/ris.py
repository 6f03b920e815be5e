"""RIS with rispy: the works a .ris file names, and papers as RIS records.

rispy reads a whole file and neither counts lines nor tells a broken record from a good one, so the file is
cut into records here (a "TY  -" line opens one, "ER  -" closes it) and rispy reads each on its own: every
record keeps its line and a bad one is reported alone."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import rispy

from paperfeed.citations.identifiers import first_arxiv_id, first_doi
from paperfeed.citations.models import CitationProblem, CitedWork, ParsedCitations
from paperfeed.citations.names import join_name, split_name
from paperfeed.citations.paper_links import paper_url
from paperfeed.citations.works import build_work
from paperfeed.errors import InvalidRecord
from paperfeed.models import Paper

_START = re.compile(r"^TY  -")
_END = re.compile(r"^ER  -")
# Fields where exporters leave an arXiv id or a DOI: links, notes, the journal line ("arXiv preprint
# arXiv:..."), the issue number and the accession number.
_TEXT_FIELDS = ("urls", "notes", "note", "journal_name", "secondary_title", "alternate_title1", "alternate_title2",
                "alternate_title3", "number", "accession_number", "type_of_work", "custom1")


class _Writer(rispy.RisWriter):
    def set_header(self, count: int) -> str:
        return ""  # rispy numbers each record ("1."); no reference manager writes that line


def read_ris(text: str) -> ParsedCitations:
    result = ParsedCitations(format="ris")
    for line, lines in _records(text, result.problems):
        record = _parse_record(lines)
        key = record.get("id") if isinstance(record.get("id"), str) else None
        try:
            result.works.append(_work(record, line))
        except InvalidRecord as exc:
            result.problems.append(CitationProblem(line, key, str(exc)))
    return result


def write_ris(papers: Sequence[Paper], keys: Sequence[str]) -> str:
    return rispy.dumps([_record(paper, key) for paper, key in zip(papers, keys, strict=True)], implementation=_Writer)


def _records(text: str, problems: list[CitationProblem]) -> Iterator[tuple[int, list[str]]]:
    """(first line, lines) of each record. A record that the next TY opens before its ER is closed there;
    text outside any record is reported once per stretch."""
    start, lines, stray = 0, [], None
    for number, line in enumerate(text.split("\n"), 1):
        if _START.match(line):
            if lines:
                yield start, lines
            start, lines, stray = number, [line], None
        elif lines:
            lines.append(line)
            if _END.match(line):
                yield start, lines
                lines = []
        elif line.strip() and stray is None:
            stray = number
            problems.append(CitationProblem(number, None, f"text outside any record (no 'TY  -' line before it): "
                                                          f"{line.strip()[:60]!r}"))
    if lines:
        yield start, lines  # the file ends before the record's ER: what it has is still read


def _parse_record(lines: list[str]) -> dict:
    if not _END.match(lines[-1]):
        lines = [*lines, "ER  - "]
    records = rispy.loads("\n".join(lines), skip_unknown_tags=True)
    return records[0] if records else {}


def _work(record: dict, line: int) -> CitedWork:
    texts = [text for name in _TEXT_FIELDS for text in _texts(record.get(name))]
    return build_work(
        line=line,
        title=_first(record, "title", "primary_title", "translated_title"),
        authors=[_name(name) for field in ("authors", "first_authors") for name in _texts(record.get(field))],
        year=_first(record, "year", "publication_year", "date"),
        arxiv_id=first_arxiv_id([], texts),
        doi=first_doi(_texts(record.get("doi")), texts),
    )


def _name(name: str) -> str:
    """RIS writes 'Family, Given' or 'Family, Given, Suffix'; a name without a comma is taken as it is."""
    family, _, rest = name.partition(",")
    given, _, suffix = rest.partition(",")
    return join_name(family, given, suffix) if rest else name


def _first(record: dict, *names: str) -> str | None:
    return next((text for name in names for text in _texts(record.get(name))), None)


def _texts(value: object) -> list[str]:
    """A tag's values: rispy gives a string, a list of strings (repeatable tags) or nothing."""
    values = value if isinstance(value, list) else [value]
    return [text.strip() for text in values if isinstance(text, str) and text.strip()]


def _record(paper: Paper, key: str) -> dict:
    record: dict = {"type_of_reference": "JOUR", "id": key, "title": _flat(paper.title),
                    "authors": [_ris_name(name) for name in paper.authors]}
    if day := paper.day:
        record.update(year=str(day.year), date=day.strftime("%Y/%m/%d/"))
    if paper.arxiv_id:  # as Google Scholar writes an arXiv paper
        record.update(journal_name=f"arXiv preprint arXiv:{paper.arxiv_id}", publisher="arXiv")
    record.update(doi=paper.doi, urls=[url] if (url := paper_url(paper)) else [], abstract=_flat(paper.abstract),
                  keywords=list(paper.categories))
    return {name: value for name, value in record.items() if value}


def _ris_name(name: str) -> str:
    parts = split_name(name)
    if parts.literal or not parts.given:
        return _flat(parts.family)
    return ", ".join(_flat(part) for part in (parts.family, parts.given, parts.suffix) if part)


def _flat(text: str) -> str:
    """One line: a line break inside a value would end it, and the next line could read as a tag."""
    return " ".join(text.split())
