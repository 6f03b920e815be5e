"""Papers that local users put on the daily feed: a listings row with source "user"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import listings
from paperfeed.db.users import User

SOURCE = "user"


def submit_listing(conn: sa.Connection, paper_id: int, day: date, user: User, now: datetime | None = None) -> bool:
    """List the paper on `day`'s feed as submitted by `user`; False if it was listed that day already.

    The (day, paper) unique key decides, so two people submitting the same paper at once get one row,
    and a paper that Hugging Face featured today keeps its imported row and upvotes.
    """
    now = now or datetime.now(UTC)
    statement = insert_or_ignore(conn, listings).values(
        paper_id=paper_id, day=day, source=SOURCE, submitted_by=user.public_name,
        submitted_by_user_id=user.id, submitted_at=now, upvotes=0, created_at=now,
    ).returning(listings.c.id)
    return conn.execute(statement).first() is not None
