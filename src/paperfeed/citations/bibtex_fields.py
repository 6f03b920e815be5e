"""How paperfeed reads a BibTeX entry parsed by bibtexparser, for the file source (sources/files.py) and the
citation import alike: its fields by lower-cased name, its authors, the arXiv id of its eprint fields, a
month's number and why a block failed to parse."""

from __future__ import annotations

from bibtexparser.middlewares.names import split_multiple_persons_names
from bibtexparser.model import Entry, ParsingFailedBlock

from paperfeed.identity import is_arxiv_id, split_arxiv_id

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, 1)}


def entry_fields(entry: Entry) -> dict[str, str]:
    """{field name lower-cased: value stripped}; the first of a repeated field wins."""
    fields: dict[str, str] = {}
    for field in entry.fields:
        fields.setdefault(field.key.lower(), str(field.value).strip())
    return fields


def split_authors(value: str) -> list[str]:
    """'Vaswani, Ashish and\\n Shazeer, Noam' -> the two names; an "and" inside braces stays in its name."""
    return split_multiple_persons_names(value) if value.strip() else []


def eprint_arxiv_id(fields: dict[str, str]) -> tuple[str, int | None] | None:
    """(id, version) of an eprint that archivePrefix (or biblatex's eprinttype) says is arXiv's, or that
    is plainly an arXiv id when no prefix is given; None otherwise. ValueError when the prefix says
    arXiv but the eprint is no arXiv id."""
    eprint = fields.get("eprint")
    prefix = fields.get("archiveprefix") or fields.get("eprinttype")
    if eprint and (prefix.lower() == "arxiv" if prefix else is_arxiv_id(eprint)):
        return split_arxiv_id(eprint)
    return None


def month_number(month: str) -> int:
    """'jun', 'June', 'Jun.' or '6' -> 6; ValueError for anything else."""
    month = month.strip()
    if month.isdigit():
        return int(month)
    try:
        return _MONTHS[month[:3].lower()]
    except KeyError:
        raise ValueError(f"not a month: {month!r}") from None


def failed_block_reason(block: ParsingFailedBlock) -> str:
    error = block.error
    return (getattr(error, "abort_reason", None) or str(error) or type(error).__name__).strip()
