"""Stored papers by many arXiv ids, DOIs or title fingerprints at once: the reads behind a citation import,
which may name thousands of papers (get_paper reads one)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from paperfeed.db.papers import paper_from_row
from paperfeed.db.schema import papers
from paperfeed.models import Paper

_VALUES_PER_QUERY = 2000  # an IN list this long stays well under SQLite's and PostgreSQL's parameter limits


def papers_by_arxiv_ids(conn: sa.Connection, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
    """{arXiv id (without version): paper} for the ids stored; the others are left out."""
    return {paper.arxiv_id: paper for paper in _papers_where(conn, papers.c.arxiv_id, arxiv_ids)}


def papers_by_dois(conn: sa.Connection, dois: Iterable[str]) -> dict[str, Paper]:
    """{DOI (lower case, as identity.normalize_doi gives it): paper} for the DOIs stored."""
    return {paper.doi: paper for paper in _papers_where(conn, papers.c.doi, dois)}


def papers_by_title_keys(conn: sa.Connection, title_keys: Iterable[str]) -> dict[str, list[Paper]]:
    """{identity.title_key: the papers of that title, oldest first}: namesakes are the caller's to tell apart."""
    found: dict[str, list[Paper]] = {}
    for paper in sorted(_papers_where(conn, papers.c.title_key, title_keys), key=lambda p: p.id):
        found.setdefault(paper.title_key, []).append(paper)
    return found


def _papers_where(conn: sa.Connection, column: sa.Column, values: Iterable[str]) -> list[Paper]:
    wanted = list(dict.fromkeys(value for value in values if value))
    found = []
    for start in range(0, len(wanted), _VALUES_PER_QUERY):
        rows = conn.execute(sa.select(papers).where(column.in_(wanted[start:start + _VALUES_PER_QUERY])))
        found += [paper_from_row(row) for row in rows]
    return found
