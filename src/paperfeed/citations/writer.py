"""export_citations: papers -> one BibTeX, RIS or CSL-JSON document, with the same citation keys in each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from paperfeed.citations.bibtex import write_bibtex
from paperfeed.citations.cite_keys import citation_keys
from paperfeed.citations.csl_json import write_csl_json
from paperfeed.citations.formats import EXPORT_FORMATS, checked_format
from paperfeed.citations.ris import write_ris
from paperfeed.models import Paper

ExportFormat = Literal["bibtex", "ris", "csl-json"]
_WRITERS = {"bibtex": write_bibtex, "ris": write_ris, "csl-json": write_csl_json}


def export_citations(papers: Sequence[Paper], format: ExportFormat) -> str:
    """The papers in `format`, in their order; InvalidInput for another format."""
    return _WRITERS[checked_format(format, EXPORT_FORMATS)](papers, citation_keys(papers))
