"""parse_citations: an import file's bytes -> the works it names and the entries it could not read."""

from __future__ import annotations

from paperfeed.citations.bibtex import read_bibtex
from paperfeed.citations.csl_json import read_csl_json
from paperfeed.citations.decoding import decode_import
from paperfeed.citations.formats import import_format
from paperfeed.citations.id_list import read_id_list
from paperfeed.citations.models import ParsedCitations
from paperfeed.citations.ris import read_ris

_READERS = {"bibtex": read_bibtex, "ris": read_ris, "csl-json": read_csl_json, "ids": read_id_list}


def parse_citations(data: bytes, *, filename: str | None = None, format: str | None = None) -> ParsedCitations:
    """Read BibTeX, RIS, CSL-JSON or a list of ids: `format` if given (formats.IMPORT_FORMATS), else by the file
    name's extension, else by the content. A bad entry becomes a CitationProblem with its line and the good
    ones are kept. Raises InvalidInput for a file over MAX_IMPORT_BYTES or an unknown format."""
    text = decode_import(data)
    return _READERS[import_format(text, filename=filename, format=format)](text)
