"""A plain list of papers: one arXiv id, DOI, or arxiv.org / doi.org link a line, '#' starting a comment."""

from __future__ import annotations

import re

from paperfeed.citations.identifiers import arxiv_id_of, doi_in_text
from paperfeed.citations.models import CitationProblem, ParsedCitations
from paperfeed.citations.works import build_work
from paperfeed.identity import normalize_doi

_COMMENT = re.compile(r"(?:^|\s)#.*")  # a '#' inside a link ("...abs/2104.12255#refs") is no comment


def read_id_list(text: str) -> ParsedCitations:
    result = ParsedCitations(format="ids")
    for number, line in enumerate(text.split("\n"), 1):
        words = _COMMENT.sub("", line).split()
        if not words:
            continue
        token = words[0].strip(",;<>")  # whatever follows the id on its line ("[cs.CL]", a title) is left
        doi = doi_in_text(token) or (normalize_doi(token) if token.lower().startswith("10.") else None)
        arxiv_id = arxiv_id_of(token)
        if doi or arxiv_id:
            result.works.append(build_work(line=number, arxiv_id=arxiv_id, doi=doi))
        else:
            shown = " ".join(words)[:80]
            result.problems.append(CitationProblem(number, None, f"not an arXiv id or DOI: {shown!r}"))
    return result
