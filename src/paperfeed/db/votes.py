"""Upvotes: local votes (one per user per paper, enforced by the votes primary key) and the counts
shown beside papers, which add the upvotes imported with listings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import listings, papers, users, votes
from paperfeed.db.users import create_user  # noqa: F401  (it lived here first; old imports keep working)
from paperfeed.errors import NotFound


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


def upvote_counts(conn: sa.Connection, paper_ids: Iterable[int]) -> dict[int, int]:
    """Paper id -> the upvotes to show: the source's count (e.g. Hugging Face) plus local votes.

    A source counts votes per paper, not per day, so a paper it featured twice has its
    count once (the highest seen), not twice. Every id asked for gets an entry.
    """
    ids = set(paper_ids)
    if not ids:
        return {}
    counts = dict.fromkeys(ids, 0)
    imported = conn.execute(
        sa.select(listings.c.paper_id, sa.func.max(listings.c.upvotes))
        .where(listings.c.paper_id.in_(ids)).group_by(listings.c.paper_id)
    )
    local = conn.execute(
        sa.select(votes.c.paper_id, sa.func.count()).where(votes.c.paper_id.in_(ids)).group_by(votes.c.paper_id)
    )
    for paper_id, count in [*imported, *local]:
        counts[paper_id] += count or 0
    return counts


def voted_by(conn: sa.Connection, user_id: int | None, paper_ids: Iterable[int]) -> set[int]:
    """Which of these papers the user has upvoted (none for a signed-out visitor)."""
    ids = set(paper_ids)
    if user_id is None or not ids:
        return set()
    rows = conn.execute(sa.select(votes.c.paper_id).where(votes.c.user_id == user_id, votes.c.paper_id.in_(ids)))
    return {paper_id for (paper_id,) in rows}
