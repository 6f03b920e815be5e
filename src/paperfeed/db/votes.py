"""Users and their upvotes. One vote per user per paper is enforced by the votes primary key."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import papers, users, votes
from paperfeed.errors import InvalidInput, NotFound


def create_user(conn: sa.Connection, email: str, username: str | None = None, password_hash: str | None = None) -> int:
    """The new user's id; InvalidInput when the email or the name is taken.

    ON CONFLICT DO NOTHING rather than a SAVEPOINT: with pysqlite, a SAVEPOINT that opens the
    transaction commits it on RELEASE, so the caller's rollback would not undo the new user.
    """
    statement = insert_or_ignore(conn, users).values(
        email=email.strip().lower(), username=username, password_hash=password_hash,
        created_at=datetime.now(UTC),
    ).returning(users.c.id)
    user_id = conn.execute(statement).scalar_one_or_none()
    if user_id is None:
        raise InvalidInput(f"a user with email {email!r} or name {username!r} exists already")
    return user_id


def cast_vote(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    """Record an upvote; False when the user had voted for the paper already (no second vote).

    ON CONFLICT DO NOTHING keeps concurrent double-clicks from raising: the primary key decides.
    """
    # Checked first: a foreign-key failure would abort the whole transaction on PostgreSQL.
    if conn.execute(sa.select(papers.c.id).where(papers.c.id == paper_id)).first() is None:
        raise NotFound(f"no paper with id {paper_id}")
    if conn.execute(sa.select(users.c.id).where(users.c.id == user_id)).first() is None:
        raise NotFound(f"no user with id {user_id}")
    statement = insert_or_ignore(conn, votes).values(
        user_id=user_id, paper_id=paper_id, created_at=datetime.now(UTC)
    ).returning(votes.c.user_id)
    return conn.execute(statement).first() is not None


def retract_vote(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    result = conn.execute(votes.delete().where(votes.c.user_id == user_id, votes.c.paper_id == paper_id))
    return result.rowcount > 0


def vote_count(conn: sa.Connection, paper_id: int) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(votes).where(votes.c.paper_id == paper_id)
    ).scalar_one()
