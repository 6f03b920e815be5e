"""Reading papers out of the store in the shapes the index needs. The only SQL in the search package."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.schema import papers
from paperfeed.search.base import IndexDoc

_DAY = sa.func.coalesce(papers.c.announced_on, papers.c.published_on)
_DOC_COLUMNS = (
    papers.c.id, papers.c.title, papers.c.abstract, papers.c.authors, papers.c.categories, _DAY.label("day"),
)


def document_text(title: str, abstract: str) -> str:
    """What the semantic leg embeds for a paper."""
    return f"{title}. {abstract}" if abstract else title


def _doc(row: sa.Row) -> IndexDoc:
    return IndexDoc(
        paper_id=row.id, title=row.title, abstract=row.abstract, authors=tuple(row.authors),
        categories=tuple(row.categories), day=row.day,
    )


def docs_modified_since(
    conn: sa.Connection, since: datetime | None, batch_size: int = 5000
) -> Iterator[tuple[list[IndexDoc], datetime]]:
    """Batches of papers changed after `since`, oldest change first, each with its newest change time."""
    statement = sa.select(*_DOC_COLUMNS, papers.c.modified_at).order_by(papers.c.modified_at, papers.c.id)
    if since is not None:
        statement = statement.where(papers.c.modified_at > since)
    result = conn.execution_options(yield_per=batch_size).execute(statement)
    for rows in result.partitions(batch_size):
        yield [_doc(row) for row in rows], rows[-1].modified_at


def texts_newest_first(conn: sa.Connection, batch_size: int = 5000) -> Iterator[list[tuple[int, str]]]:
    """(paper id, document text) for every paper, newest announcement or publication first."""
    statement = sa.select(papers.c.id, papers.c.title, papers.c.abstract).order_by(
        _DAY.desc().nulls_last(), papers.c.id.desc()
    )
    result = conn.execution_options(yield_per=batch_size).execute(statement)
    for rows in result.partitions(batch_size):
        yield [(row.id, document_text(row.title, row.abstract)) for row in rows]


def texts_by_ids(conn: sa.Connection, paper_ids: Sequence[int]) -> dict[int, str]:
    """Document texts of these papers, in the order given (papers deleted since are left out)."""
    statement = sa.select(papers.c.id, papers.c.title, papers.c.abstract).where(papers.c.id.in_(list(paper_ids)))
    rows = conn.execute(statement)
    found = {row.id: document_text(row.title, row.abstract) for row in rows}
    return {pid: found[pid] for pid in paper_ids if pid in found}

