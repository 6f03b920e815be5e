"""Citation files in and out: parse a reader's BibTeX, RIS, CSL-JSON or id list into the works it names, and
export papers as BibTeX, RIS or CSL-JSON. Pure: no database, no network (citation_fetch.py and
db/paper_lookup.py do those). This front module is the package's public face."""

from paperfeed.citations.decoding import MAX_IMPORT_BYTES, check_import_size
from paperfeed.citations.formats import EXPORT_FORMATS, IMPORT_FORMATS
from paperfeed.citations.models import CitationProblem, CitedWork, ParsedCitations
from paperfeed.citations.reader import parse_citations
from paperfeed.citations.works import work_keys
from paperfeed.citations.writer import ExportFormat, export_citations

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "MAX_IMPORT_BYTES",
    "CitationProblem",
    "CitedWork",
    "ExportFormat",
    "ParsedCitations",
    "check_import_size",
    "export_citations",
    "parse_citations",
    "work_keys",
]
