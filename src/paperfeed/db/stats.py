"""What the store holds: counts by source, category and day, for `paperfeed stats` and `make run`, and
the web app's /metrics (papers by source, the newest change)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import orjson
import sqlalchemy as sa

from paperfeed.db.schema import PAPER_DAY, listings, papers, users, votes


@dataclass(slots=True)
class StoreStats:
    papers: int = 0
    listings: int = 0
    users: int = 0
    votes: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)  # primary category, most first
    by_day: dict[str, int] = field(default_factory=dict)  # announcement day, newest first
    first_day: str | None = None
    last_day: str | None = None


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def store_stats(conn: sa.Connection, top_categories: int = 15, recent_days: int = 10) -> StoreStats:
    stats = StoreStats(
        papers=_count(conn, papers), listings=_count(conn, listings),
        users=_count(conn, users), votes=_count(conn, votes),
    )
    stats.by_source = papers_by_source(conn)
    category = sa.func.coalesce(papers.c.primary_category, "(none)")
    stats.by_category = dict(
        conn.execute(
            sa.select(category, sa.func.count()).group_by(category)
            .order_by(sa.func.count().desc(), category).limit(top_categories)
        ).all()
    )
    day = PAPER_DAY
    stats.by_day = {
        str(d): n
        for d, n in conn.execute(
            sa.select(day, sa.func.count())
            .where(day.is_not(None)).group_by(day).order_by(day.desc()).limit(recent_days)
        )
    }
    first, last = conn.execute(sa.select(sa.func.min(day), sa.func.max(day))).one()
    stats.first_day, stats.last_day = (str(first) if first else None), (str(last) if last else None)
    return stats


def papers_by_source(conn: sa.Connection) -> dict[str, int]:
    """Papers per source that brought them, most first (a paper two sources brought counts in both)."""
    # Sources are a small JSON list per paper; counting distinct lists keeps this one grouped query.
    source_counts: Counter[str] = Counter()
    for source_list, count in conn.execute(
        sa.select(sa.cast(papers.c.sources, sa.Text), sa.func.count()).group_by(sa.cast(papers.c.sources, sa.Text))
    ):
        for source in orjson.loads(source_list):
            source_counts[source] += count
    return dict(source_counts.most_common())


def newest_change_at(conn: sa.Connection) -> datetime | None:
    """When a paper in the store last changed (what the keyword index's watermark follows); None when empty."""
    return conn.execute(sa.select(sa.func.max(papers.c.modified_at))).scalar_one()


def sources_and_arrivals_since(conn: sa.Connection, since: datetime) -> Iterator[tuple[list[str], datetime]]:
    """(sources, when it first reached the store) of every paper that arrived at or after `since`."""
    query = sa.select(sa.cast(papers.c.sources, sa.Text), papers.c.created_at).where(papers.c.created_at >= since)
    for sources, created_at in conn.execute(query):
        yield orjson.loads(sources), created_at


def postgres_database_bytes(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
