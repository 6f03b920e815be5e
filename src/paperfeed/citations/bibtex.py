"""BibTeX (and biblatex) with bibtexparser: the works a .bib file names, and papers as @misc entries in
arXiv's own style (eprint, archivePrefix, primaryClass) that parse back to the same ids, title and authors."""

from __future__ import annotations

import re
from collections.abc import Sequence

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry, Field, ParsingFailedBlock
from bibtexparser.writer import BibtexFormat

from paperfeed.citations.bibtex_fields import (
    MONTH_NAMES,
    entry_fields,
    eprint_arxiv_id,
    failed_block_reason,
    split_authors,
)
from paperfeed.citations.bibtex_text import balanced, bibtex_text
from paperfeed.citations.identifiers import first_arxiv_id, first_doi
from paperfeed.citations.models import CitationProblem, CitedWork, ParsedCitations
from paperfeed.citations.names import NameParts, join_name, split_name
from paperfeed.citations.paper_links import paper_url
from paperfeed.citations.works import build_work
from paperfeed.errors import InvalidRecord
from paperfeed.models import Paper

_RAW_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s{}()=]+)")
_AND = re.compile(r"\band\b", re.IGNORECASE)
# Fields where exporters leave an arXiv id or a DOI in running text (Google Scholar's journal, Zotero's
# number and note, a \url in howpublished).
_TEXT_FIELDS = ("journal", "journaltitle", "number", "note", "url", "howpublished", "booktitle", "pubstate",
                "annote", "addendum")


def read_bibtex(text: str) -> ParsedCitations:
    result = ParsedCitations(format="bibtex")
    for block in bibtexparser.parse_string(text).blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):  # two entries, one key: both still name works
            block = block.ignore_error_block
        if isinstance(block, ParsingFailedBlock):
            result.problems.append(CitationProblem(line, _failed_key(block), _failure(block)))
        elif isinstance(block, Entry):
            try:
                result.works.append(_work(block, line))
            except InvalidRecord as exc:
                result.problems.append(CitationProblem(line, block.key, str(exc)))
    return result


def write_bibtex(papers: Sequence[Paper], keys: Sequence[str]) -> str:
    library = Library([_entry(paper, key) for paper, key in zip(papers, keys, strict=True)])
    layout = BibtexFormat()
    layout.indent = "  "
    layout.value_column = "auto"
    layout.block_separator = "\n"
    layout.trailing_comma = True
    # No unparse middleware: _entry encloses each value itself (a month stays a bare macro, `month = jun`).
    return bibtexparser.write_string(library, unparse_stack=[], bibtex_format=layout)


def _work(entry: Entry, line: int) -> CitedWork:
    fields = entry_fields(entry)
    texts = [fields.get(name) for name in _TEXT_FIELDS]
    try:
        eprint = eprint_arxiv_id(fields)
    except ValueError:
        eprint_value = fields.get("eprint")
        raise InvalidRecord(f"eprint {eprint_value!r} is not an arXiv id, yet archivePrefix says arXiv") from None
    arxiv_id = eprint[0] if eprint else first_arxiv_id([fields.get("arxivid")], texts)
    return build_work(
        line=line,
        title=fields.get("title"),
        authors=[_name(name) for name in split_authors(fields.get("author", ""))],
        year=fields.get("year") or fields.get("date"),
        arxiv_id=arxiv_id,
        doi=first_doi([fields.get("doi")], texts),
    )


def _name(name: str) -> str:
    """A BibTeX name ('von Last, Jr, First' and the other forms) as 'First von Last Jr'."""
    try:
        parts = parse_single_name_into_parts(name, strict=False)
    except InvalidNameError:
        return name
    return join_name(" ".join(parts.von + parts.last), " ".join(parts.first), " ".join(parts.jr))


def _failure(block: ParsingFailedBlock) -> str:
    if isinstance(block, DuplicateFieldKeyBlock):
        return f"the field {', '.join(sorted(block.duplicate_keys))} appears twice"
    return f"unparsable BibTeX: {failed_block_reason(block)}"


def _failed_key(block: ParsingFailedBlock) -> str | None:
    if isinstance(block.ignore_error_block, Entry):
        return block.ignore_error_block.key
    match = _RAW_KEY.match(block.raw or "")
    return match.group(1) if match else None


def _entry(paper: Paper, key: str) -> Entry:
    values = [("title", bibtex_text(paper.title, protect_case=True)),
              ("author", " and ".join(_bibtex_name(split_name(name)) for name in paper.authors))]
    if day := paper.day:
        values += [("year", str(day.year)), ("month", _Macro(MONTH_NAMES[day.month - 1]))]
    if paper.arxiv_id:
        values += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv"), ("primaryClass", paper.primary_category)]
    # DOIs and URLs are verbatim fields to biblatex: written as they are, if their braces let them stand.
    values += [("doi", paper.doi if paper.doi and balanced(paper.doi) else None)]
    values += [("url", url if (url := paper_url(paper)) and balanced(url) else None)]
    values += [("abstract", bibtex_text(paper.abstract))]
    return Entry("misc", key, [Field(name, value if isinstance(value, _Macro) else "{" + value + "}")
                               for name, value in values if value])


class _Macro(str):
    """A value written bare: `month = jun` is the month's name to every style, `{jun}` the letters."""


def _bibtex_name(name: NameParts) -> str:
    """'Family, Given' (or 'Family, Suffix, Given'); an organisation, or a name with a word 'and' or a comma in
    it, braced whole so that it stays one name."""
    if name.literal or _AND.search(name.family + " " + name.given) or "," in name.family + name.given:
        return "{" + bibtex_text(join_name(name.family, name.given, name.suffix)) + "}"
    parts = [name.family, name.suffix, name.given] if name.suffix else [name.family, name.given]
    return ", ".join(bibtex_text(part) for part in parts if part)

