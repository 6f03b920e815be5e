"""Private "For you" feeds: an RSS/Atom address per reader (of the whole library, or of one collection)
behind an unguessable token, made, listed, revoked and resolved here.

As with API tokens (db/api_tokens.py), the token is 32 random bytes (URL-safe base64), shown once when
made, and only its sha256 is stored; a feed reader presents it in the path, so a fast hash suffices.
A collection's feeds go with the collection, a reader's with the reader (foreign keys, ON DELETE CASCADE).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.collections import get_collection
from paperfeed.db.schema import private_feeds
from paperfeed.errors import InvalidInput

MAX_FEEDS = 25  # per reader: one per collection and a few spares, never a table filled by one account
_TOKEN_LENGTH = 43  # secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class PrivateFeed:
    """A feed as its owner sees it in the list: never its token."""

    id: int
    user_id: int
    collection_id: int | None
    created_at: datetime


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed(conn: sa.Connection, user_id: int, collection_id: int | None = None, *,
                now: datetime | None = None) -> tuple[PrivateFeed, str]:
    """A new feed of the reader's library (or of one of their collections: NotFound for any other) and
    its token, which is shown once and never stored; InvalidInput when they have MAX_FEEDS already."""
    if collection_id is not None:
        get_collection(conn, user_id, collection_id)
    count = conn.execute(sa.select(sa.func.count()).select_from(private_feeds)
                         .where(private_feeds.c.user_id == user_id)).scalar_one()
    if count >= MAX_FEEDS:
        raise InvalidInput(f"You have {MAX_FEEDS} private feeds already: revoke one you no longer read first.")
    created_at = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    feed_id = conn.execute(private_feeds.insert().values(
        user_id=user_id, collection_id=collection_id, token_hash=hash_feed_token(token), created_at=created_at,
    ).returning(private_feeds.c.id)).scalar_one()
    return PrivateFeed(feed_id, user_id, collection_id, created_at), token


def list_feeds(conn: sa.Connection, user_id: int) -> list[PrivateFeed]:
    """The reader's feeds, newest first."""
    rows = conn.execute(sa.select(*_COLUMNS).where(private_feeds.c.user_id == user_id)
                        .order_by(private_feeds.c.created_at.desc(), private_feeds.c.id.desc()))
    return [PrivateFeed(*row) for row in rows]


def revoke_feed(conn: sa.Connection, user_id: int, feed_id: int) -> bool:
    """Delete the feed if it is this reader's; False when they have no such feed (another's included)."""
    result = conn.execute(private_feeds.delete().where(private_feeds.c.id == feed_id,
                                                       private_feeds.c.user_id == user_id))
    return result.rowcount > 0


def resolve_feed(conn: sa.Connection, token: str) -> PrivateFeed | None:
    """The feed a presented token opens; None for one revoked, never made, or not even token-shaped."""
    if len(token) != _TOKEN_LENGTH:
        return None
    row = conn.execute(sa.select(*_COLUMNS).where(private_feeds.c.token_hash == hash_feed_token(token))).first()
    return PrivateFeed(*row) if row else None


_COLUMNS = (private_feeds.c.id, private_feeds.c.user_id, private_feeds.c.collection_id, private_feeds.c.created_at)
