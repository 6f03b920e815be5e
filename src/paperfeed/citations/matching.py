"""Which stored paper a cited work is: the one with its arXiv id, else its DOI, else its title, when nothing
the two say contradicts (another arXiv id or DOI, another first author). Pure: the store's reads come in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from paperfeed.citations.models import CitedWork
from paperfeed.citations.names import split_name
from paperfeed.identity import name_key, title_key
from paperfeed.models import Paper


def match_works(works: Sequence[CitedWork], by_arxiv_id: Mapping[str, Paper], by_doi: Mapping[str, Paper],
                by_title_key: Mapping[str, Sequence[Paper]]) -> list[Paper | None]:
    """The stored paper of each work (None: not stored), aligned with `works`."""
    return [_match(work, by_arxiv_id, by_doi, by_title_key) for work in works]


def _match(work: CitedWork, by_arxiv_id: Mapping[str, Paper], by_doi: Mapping[str, Paper],
           by_title_key: Mapping[str, Sequence[Paper]]) -> Paper | None:
    if work.arxiv_id and (paper := by_arxiv_id.get(work.arxiv_id)):
        return paper
    if work.doi and (paper := by_doi.get(work.doi)):
        return paper
    candidates = by_title_key.get(title_key(work.title), ()) if work.title else ()
    return next((paper for paper in candidates if _agrees(paper, work)), None)


def _agrees(paper: Paper, work: CitedWork) -> bool:
    """A paper of the same title is the work unless an id or the first author's family name says otherwise
    (the journal version of an arXiv paper has its DOI, the arXiv record may not)."""
    if paper.arxiv_id and work.arxiv_id and paper.arxiv_id != work.arxiv_id:
        return False
    if paper.doi and work.doi and paper.doi != work.doi:
        return False
    if not (paper.authors and work.authors):
        return True
    return _family(paper.authors[0]) == _family(work.authors[0])


def _family(name: str) -> str:
    return name_key(split_name(name).family)
