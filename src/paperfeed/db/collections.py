"""A reader's collections in the store: named, unique per reader (in any case), like tags: a saved
paper can be in several (db/library.py keeps the memberships). Deleting a collection keeps its papers
saved. Another reader's collection id is "no collection" (NotFound), never "forbidden", so ids cannot
be probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import collection_papers, collections
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.library import MAX_COLLECTIONS, collection_name


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    name: str
    created_at: datetime
    papers: int = 0  # how many saved papers are in it


def no_collection(collection_id: int) -> NotFound:
    """The one answer for a collection that is not the reader's, whoever else's it may be."""
    return NotFound(f"you have no collection with id {collection_id}")


def require_collections(conn: sa.Connection, user_id: int, collection_ids: Iterable[int]) -> list[int]:
    """These ids, once each, in order, when every one is the reader's collection; else NotFound."""
    ids = list(dict.fromkeys(collection_ids))
    if not ids:
        return []
    mine = set(conn.execute(sa.select(collections.c.id).where(
        collections.c.user_id == user_id, collections.c.id.in_(ids))).scalars())
    for collection_id in ids:
        if collection_id not in mine:
            raise no_collection(collection_id)
    return ids


def _name_taken(conn: sa.Connection, user_id: int, name: str, but: int | None = None) -> bool:
    """Case-insensitively, so 'Reading' and 'reading' are not two collections."""
    query = sa.select(collections.c.id).where(collections.c.user_id == user_id,
                                              sa.func.lower(collections.c.name) == name.lower())
    if but is not None:
        query = query.where(collections.c.id != but)
    return conn.execute(query).first() is not None


def create_collection(conn: sa.Connection, user_id: int, name: str, now: datetime | None = None) -> Collection:
    """A new collection; InvalidInput when the name is empty, too long or taken (any case), or the reader has
    MAX_COLLECTIONS already."""
    name = collection_name(name)
    if _name_taken(conn, user_id, name):
        raise InvalidInput(f"you have a collection named {name!r} already")
    count = conn.execute(sa.select(sa.func.count()).select_from(collections)
                         .where(collections.c.user_id == user_id)).scalar_one()
    if count >= MAX_COLLECTIONS:
        raise InvalidInput(f"a library holds at most {MAX_COLLECTIONS} collections")
    created_at = now or datetime.now(UTC)
    statement = insert_or_ignore(conn, collections).values(
        user_id=user_id, name=name, created_at=created_at).returning(collections.c.id)
    collection_id = conn.execute(statement).scalar_one_or_none()
    if collection_id is None:  # made at the same moment by another request
        raise InvalidInput(f"you have a collection named {name!r} already")
    return Collection(collection_id, name, created_at)


def collection_by_name(conn: sa.Connection, user_id: int, name: str, *, create: bool = False,
                       now: datetime | None = None) -> Collection:
    """The reader's collection of this name (any case); made when `create`, else NotFound."""
    cleaned = collection_name(name)
    row = conn.execute(sa.select(collections).where(
        collections.c.user_id == user_id, sa.func.lower(collections.c.name) == cleaned.lower())).first()
    if row is not None:
        return get_collection(conn, user_id, row.id)
    if not create:
        raise NotFound(f"you have no collection named {cleaned!r}")
    return create_collection(conn, user_id, cleaned, now)


def list_collections(conn: sa.Connection, user_id: int) -> list[Collection]:
    """The reader's collections, in the order they were made, each with its number of papers."""
    count = sa.func.count(collection_papers.c.paper_id)
    rows = conn.execute(
        sa.select(collections.c.id, collections.c.name, collections.c.created_at, count.label("papers"))
        .select_from(collections.outerjoin(collection_papers, collection_papers.c.collection_id == collections.c.id))
        .where(collections.c.user_id == user_id)
        .group_by(collections.c.id, collections.c.name, collections.c.created_at)
        .order_by(collections.c.id)
    )
    return [Collection(row.id, row.name, row.created_at, row.papers) for row in rows]


def get_collection(conn: sa.Connection, user_id: int, collection_id: int) -> Collection:
    for collection in list_collections(conn, user_id):
        if collection.id == collection_id:
            return collection
    raise no_collection(collection_id)


def rename_collection(conn: sa.Connection, user_id: int, collection_id: int, name: str) -> Collection:
    name = collection_name(name)
    get_collection(conn, user_id, collection_id)
    if _name_taken(conn, user_id, name, but=collection_id):
        raise InvalidInput(f"you have a collection named {name!r} already")
    conn.execute(collections.update().where(collections.c.id == collection_id, collections.c.user_id == user_id)
                 .values(name=name))
    return get_collection(conn, user_id, collection_id)


def delete_collection(conn: sa.Connection, user_id: int, collection_id: int) -> None:
    """Delete a collection; its papers stay saved (in the library's "All" and their other collections)."""
    result = conn.execute(collections.delete().where(collections.c.id == collection_id,
                                                     collections.c.user_id == user_id))
    if result.rowcount == 0:
        raise no_collection(collection_id)
