"""A CitedWork from what one entry gives, cleaned the way ingest cleans papers, and the keys it is looked
up by in the store."""

from __future__ import annotations

import re
from collections.abc import Iterable

from paperfeed.citations.models import CitedWork
from paperfeed.errors import InvalidRecord
from paperfeed.identity import arxiv_id_from_doi, normalize_doi
from paperfeed.normalize import MAX_TITLE_CHARS, clean_text, normalize_author

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_ET_AL = frozenset({"others", "et al.", "et al"})  # BibTeX's "and others"


def build_work(*, line: int, title: str | None = None, authors: Iterable[str] = (), year: object = None,
               arxiv_id: str | None = None, doi: str | None = None) -> CitedWork:
    """Raises InvalidRecord when the entry names no work: no arXiv id, no DOI and no title."""
    doi = normalize_doi(doi)
    if arxiv_id is None and doi and (from_doi := arxiv_id_from_doi(doi)):
        arxiv_id = from_doi[0]
    title = clean_text(title) or None
    if title and len(title) > MAX_TITLE_CHARS:
        if not (arxiv_id or doi):
            raise InvalidRecord(f"title longer than {MAX_TITLE_CHARS} characters and no arXiv id or DOI")
        title = None
    if not (arxiv_id or doi or title):
        raise InvalidRecord("no arXiv id, DOI or title")
    names = (normalize_author(name) for name in authors if name and name.strip())
    return CitedWork(
        arxiv_id=arxiv_id,
        doi=doi,
        title=title,
        authors=tuple(name for name in names if name and name.casefold() not in _ET_AL),
        year=year_of(year),
        line=line,
    )


def year_of(value: object) -> int | None:
    """2019 from 2019, '2019', '2019/06/01/', 'June 2019' or '2019a'; None when no year is there."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1500 <= value <= 2999 else None
    match = _YEAR.search(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def work_keys(work: CitedWork) -> list[str]:
    """The keys db.papers.get_paper finds the work's paper by: its arXiv id, then its DOI (either may be
    missing; a work known by its title alone has none, see db.paper_lookup for that)."""
    return [key for key in (work.arxiv_id, work.doi) if key]
