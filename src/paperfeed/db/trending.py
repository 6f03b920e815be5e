"""The vote events behind the trending rank: local upvotes plus upvote counts imported with listings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from paperfeed.db.schema import listings, votes
from paperfeed.rank import DEFAULT_HALF_LIFE, TrendingScore, VoteEvent, trending


def vote_events(conn: sa.Connection, since: datetime, until: datetime) -> list[VoteEvent]:
    events = [
        VoteEvent(row.paper_id, row.created_at)
        for row in conn.execute(
            sa.select(votes.c.paper_id, votes.c.created_at)
            .where(votes.c.created_at >= since, votes.c.created_at <= until)
        )
    ]
    # Imported counts have no vote times: they are dated when the paper was featured (see rank.py).
    first_day, last_day = since.astimezone(UTC).date() - timedelta(days=1), until.astimezone(UTC).date()
    for row in conn.execute(
        sa.select(listings.c.paper_id, listings.c.day, listings.c.submitted_at, listings.c.upvotes)
        .where(listings.c.day >= first_day, listings.c.day <= last_day, listings.c.upvotes > 0)
    ):
        at = row.submitted_at or datetime.combine(row.day, time(12), tzinfo=UTC)
        events.append(VoteEvent(row.paper_id, at, row.upvotes))
    return events


def trending_papers(conn: sa.Connection, now: datetime | None = None, window: timedelta = timedelta(days=7),
                    half_life: timedelta = DEFAULT_HALF_LIFE, limit: int = 50) -> list[TrendingScore]:
    """The best `limit` papers by time-decayed votes inside the window ending `now`."""
    now = now or datetime.now(UTC)
    return trending(vote_events(conn, now - window, now), now, window, half_life)[:limit]


def last_activity(conn: sa.Connection) -> tuple[datetime | None, date | None]:
    """When the newest local vote was cast, and the newest listing day (None where there is none)."""
    last_vote = conn.execute(sa.select(sa.func.max(votes.c.created_at))).scalar_one_or_none()
    last_day = conn.execute(sa.select(sa.func.max(listings.c.day))).scalar_one_or_none()
    return last_vote, last_day
