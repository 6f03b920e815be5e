"""The reads the search index makes of the papers table, in batches so no read holds a long
transaction or much memory: papers changed since a time (keyword sync), every paper's text newest
first (which embeddings are pending) and the texts of given papers (embedding a chunk).

They return rows, not search documents: the store knows nothing of search, and
search/documents.py shapes the rows into what the index keeps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.schema import PAPER_DAY, papers

_TEXT_COLUMNS = (papers.c.id, papers.c.title, papers.c.abstract)


def paper_rows_modified_since(
    conn: sa.Connection, since: datetime | None, batch_size: int = 5000
) -> Iterator[Sequence[sa.Row]]:
    """Batches of the papers changed after `since` (all when None), oldest change first, as rows of id,
    title, abstract, authors, categories, day (announced, else published) and modified_at."""
    statement = sa.select(
        *_TEXT_COLUMNS, papers.c.authors, papers.c.categories, PAPER_DAY.label("day"), papers.c.modified_at,
    ).order_by(papers.c.modified_at, papers.c.id)
    if since is not None:
        statement = statement.where(papers.c.modified_at > since)
    yield from conn.execution_options(yield_per=batch_size).execute(statement).partitions(batch_size)


def paper_texts_newest_first(conn: sa.Connection, batch_size: int = 5000) -> Iterator[Sequence[sa.Row]]:
    """Batches of (id, title, abstract) of every paper, newest announcement or publication first."""
    statement = sa.select(*_TEXT_COLUMNS).order_by(PAPER_DAY.desc().nulls_last(), papers.c.id.desc())
    yield from conn.execution_options(yield_per=batch_size).execute(statement).partitions(batch_size)


def paper_texts_by_ids(conn: sa.Connection, paper_ids: Sequence[int]) -> list[sa.Row]:
    """(id, title, abstract) of these papers, in the order given (papers deleted since are left out)."""
    found = {row.id: row for row in conn.execute(sa.select(*_TEXT_COLUMNS).where(papers.c.id.in_(list(paper_ids))))}
    return [found[pid] for pid in paper_ids if pid in found]
