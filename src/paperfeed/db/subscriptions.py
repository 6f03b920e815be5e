"""Digest subscribers and their interests (categories, saved queries, followed authors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import subscriber_interests, subscribers
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.models import ACTIVE, BOUNCING, UNSUBSCRIBED, Interest, Subscriber, SubscriptionRequest

_STATUS_TIMES = {ACTIVE: "confirmed_at", UNSUBSCRIBED: "unsubscribed_at", BOUNCING: "bounced_at"}


def _interests_of(conn: sa.Connection, ids: Sequence[int]) -> dict[int, list[Interest]]:
    found: dict[int, list[Interest]] = {subscriber_id: [] for subscriber_id in ids}
    for start in range(0, len(ids), 5000):
        rows = conn.execute(
            sa.select(subscriber_interests)
            .where(subscriber_interests.c.subscriber_id.in_(ids[start:start + 5000]))
            .order_by(subscriber_interests.c.subscriber_id, subscriber_interests.c.kind, subscriber_interests.c.value)
        )
        for row in rows:
            found[row.subscriber_id].append(Interest(row.kind, row.value))
    return found


def _subscribers(conn: sa.Connection, statement: sa.Select) -> list[Subscriber]:
    rows = conn.execute(statement).all()
    interests = _interests_of(conn, [row.id for row in rows])
    return [
        Subscriber(id=row.id, email=row.email, frequency=row.frequency, timezone=row.timezone, status=row.status,
                   interests=tuple(interests[row.id]), created_at=row.created_at, confirmed_at=row.confirmed_at)
        for row in rows
    ]


def get_subscriber(conn: sa.Connection, subscriber_id: int) -> Subscriber:
    found = _subscribers(conn, sa.select(subscribers).where(subscribers.c.id == subscriber_id))
    if not found:
        raise NotFound("no such subscription: it may have been deleted")
    return found[0]


def find_subscriber(conn: sa.Connection, email: str) -> Subscriber | None:
    found = _subscribers(conn, sa.select(subscribers).where(subscribers.c.email == email))
    return found[0] if found else None


def subscribers_with_status(conn: sa.Connection, status: str, email: str | None = None) -> list[Subscriber]:
    statement = sa.select(subscribers).where(subscribers.c.status == status).order_by(subscribers.c.id)
    if email is not None:
        statement = statement.where(subscribers.c.email == email)
    return _subscribers(conn, statement)


def create_subscriber(conn: sa.Connection, request: SubscriptionRequest, status: str, now: datetime) -> int:
    """The new subscriber's id; InvalidInput when the address is subscribed already (the unique key decides)."""
    statement = insert_or_ignore(conn, subscribers).values(
        email=request.email, frequency=request.frequency, timezone=request.timezone, status=status, created_at=now,
        **({"confirmed_at": now} if status == ACTIVE else {}),
    ).returning(subscribers.c.id)
    subscriber_id = conn.execute(statement).scalar_one_or_none()
    if subscriber_id is None:
        raise InvalidInput(f"{request.email} has a subscription already")
    set_interests(conn, subscriber_id, request.interests)
    return subscriber_id


def update_settings(conn: sa.Connection, subscriber_id: int, request: SubscriptionRequest) -> None:
    """Frequency, time zone and interests as requested (the address never changes)."""
    conn.execute(subscribers.update().where(subscribers.c.id == subscriber_id)
                 .values(frequency=request.frequency, timezone=request.timezone))
    set_interests(conn, subscriber_id, request.interests)


def set_interests(conn: sa.Connection, subscriber_id: int, interests: Sequence[Interest]) -> None:
    conn.execute(subscriber_interests.delete().where(subscriber_interests.c.subscriber_id == subscriber_id))
    rows = [{"subscriber_id": subscriber_id, "kind": i.kind, "value": i.value} for i in dict.fromkeys(interests)]
    if rows:
        conn.execute(subscriber_interests.insert(), rows)


def drop_interest(conn: sa.Connection, subscriber_id: int, interest: Interest) -> None:
    """Forget one interest, e.g. a collection that no longer exists."""
    conn.execute(subscriber_interests.delete().where(
        subscriber_interests.c.subscriber_id == subscriber_id, subscriber_interests.c.kind == interest.kind,
        subscriber_interests.c.value == interest.value))


def set_status(conn: sa.Connection, subscriber_id: int, status: str, now: datetime, reason: str | None = None) -> None:
    values: dict = {"status": status}
    if status in _STATUS_TIMES:
        values[_STATUS_TIMES[status]] = now
    if status == BOUNCING:
        values["bounce_reason"] = reason
    conn.execute(subscribers.update().where(subscribers.c.id == subscriber_id).values(**values))


def note_confirmation_sent(conn: sa.Connection, subscriber_id: int, now: datetime) -> None:
    conn.execute(subscribers.update().where(subscribers.c.id == subscriber_id).values(confirmation_sent_at=now))


def confirmation_sent_at(conn: sa.Connection, subscriber_id: int) -> datetime | None:
    return conn.execute(
        sa.select(subscribers.c.confirmation_sent_at).where(subscribers.c.id == subscriber_id)
    ).scalar_one_or_none()


def count_by_status(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(subscribers.c.status, sa.func.count()).group_by(subscribers.c.status))
    return dict(rows.all())
