"""Users and their upvotes. One vote per user per paper is enforced by the votes primary key."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.schema import users, votes
from paperfeed.db.dialect import insert_or_ignore
from paperfeed.errors import InvalidInput, NotFound


def create_user(conn: sa.Connection, email: str, username: str | None = None, password_hash: str | None = None) -> int:
    try:
        with conn.begin_nested():
            result = conn.execute(
                users.insert().values(email=email.strip().lower(), username=username,
                                      password_hash=password_hash, created_at=datetime.now(UTC))
            )
    except sa.exc.IntegrityError as exc:
        raise InvalidInput(f"a user with email {email!r} or name {username!r} exists already") from exc
    return result.inserted_primary_key[0]


def cast_vote(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    """Record an upvote; False when the user had voted for the paper already (no second vote).

    ON CONFLICT DO NOTHING keeps concurrent double-clicks from raising: the primary key decides.
    """
    statement = insert_or_ignore(conn, votes).values(
        user_id=user_id, paper_id=paper_id, created_at=datetime.now(UTC)
    ).returning(votes.c.user_id)
    try:
        return conn.execute(statement).first() is not None
    except sa.exc.IntegrityError as exc:  # foreign key: no such user or paper
        raise NotFound(f"no paper {paper_id} or user {user_id}") from exc


def retract_vote(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    result = conn.execute(votes.delete().where(votes.c.user_id == user_id, votes.c.paper_id == paper_id))
    return result.rowcount > 0


def vote_count(conn: sa.Connection, paper_id: int) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(votes).where(votes.c.paper_id == paper_id)
    ).scalar_one()
