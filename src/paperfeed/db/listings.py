"""The daily feed's listings: which paper was featured on which day, by whom, with how many votes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa

from paperfeed.db.schema import listings
from paperfeed.models import Listing


def upsert_listings(conn: sa.Connection, items: Sequence[Listing], now: datetime | None = None) -> int:
    """Insert new listings and refresh the vote counts of known ones; returns how many changed."""
    if not items:
        return 0
    now = now or datetime.now(UTC)
    latest = {(item.day, item.paper_id): item for item in items}  # the last report of a batch wins
    rows = conn.execute(
        sa.select(listings.c.id, listings.c.day, listings.c.paper_id, listings.c.upvotes,
                  listings.c.submitted_by, listings.c.submitted_at)
        .where(listings.c.paper_id.in_({paper_id for _, paper_id in latest}))
    )
    existing = {(row.day, row.paper_id): row for row in rows}
    inserts, updates = [], []
    for slot, item in latest.items():
        row = existing.get(slot)
        if row is None:
            inserts.append({
                "paper_id": item.paper_id, "day": item.day, "source": item.source,
                "submitted_by": item.submitted_by, "submitted_at": item.submitted_at,
                "upvotes": item.upvotes, "created_at": now,
            })
            continue
        submitted_by = row.submitted_by or item.submitted_by
        submitted_at = row.submitted_at or item.submitted_at
        if (row.upvotes, row.submitted_by, row.submitted_at) != (item.upvotes, submitted_by, submitted_at):
            updates.append({"_id": row.id, "upvotes": item.upvotes, "submitted_by": submitted_by,
                            "submitted_at": submitted_at})
    if inserts:
        conn.execute(listings.insert(), inserts)
    if updates:
        conn.execute(listings.update().where(listings.c.id == sa.bindparam("_id")), updates)
    return len(inserts) + len(updates)


def listings_on(conn: sa.Connection, day: date) -> list[Listing]:
    rows = conn.execute(sa.select(listings).where(listings.c.day == day).order_by(listings.c.upvotes.desc()))
    return [_listing(row) for row in rows]


def first_listing(conn: sa.Connection, paper_id: int) -> Listing | None:
    """The paper's first day on the daily feed (the earliest day, then the earliest submission), or None."""
    row = conn.execute(
        sa.select(listings).where(listings.c.paper_id == paper_id)
        .order_by(listings.c.day, listings.c.submitted_at.nulls_last(), listings.c.id).limit(1)
    ).first()
    return _listing(row) if row is not None else None


def _listing(row: sa.Row) -> Listing:
    return Listing(paper_id=row.paper_id, day=row.day, source=row.source, submitted_by=row.submitted_by,
                   submitted_at=row.submitted_at, upvotes=row.upvotes)
