"""A reader's library in the store: the papers they saved (each with a private note) and which of
their collections (db/collections.py) each one is in. The rules (notes, names) are paperfeed.library's.

Every function takes the reader's id and touches that reader's rows alone. Unsaving a paper takes it
out of every collection (the memberships' foreign key); deleting the paper or the account deletes both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.collections import require_collections
from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import collection_papers, papers, saved_papers
from paperfeed.errors import NotFound
from paperfeed.library import note_text


@dataclass(frozen=True, slots=True)
class SavedPaper:
    paper_id: int
    saved_at: datetime
    note: str | None
    collection_ids: tuple[int, ...] = ()  # in the order the collections were made


@dataclass(frozen=True, slots=True)
class LibraryPage:
    items: list[SavedPaper]  # newest saved first
    total: int  # how many match, on every page


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _require_paper(conn: sa.Connection, paper_id: int) -> None:
    # Checked first: a foreign-key failure would abort the whole transaction on PostgreSQL.
    if conn.execute(sa.select(papers.c.id).where(papers.c.id == paper_id)).first() is None:
        raise NotFound(f"no paper with id {paper_id}")


def _require_saved(conn: sa.Connection, user_id: int, paper_id: int) -> None:
    found = conn.execute(sa.select(saved_papers.c.paper_id).where(
        saved_papers.c.user_id == user_id, saved_papers.c.paper_id == paper_id)).first()
    if found is None:
        raise NotFound(f"paper {paper_id} is not in your library")


def save_paper(conn: sa.Connection, user_id: int, paper_id: int, *, note: str | None = None,
               collection_ids: Sequence[int] = (), now: datetime | None = None) -> bool:
    """Save a paper (True), or find it saved already (False: its first saved_at stays). A note given
    replaces the stored one; the paper joins the collections given, keeping those it is in."""
    _require_paper(conn, paper_id)
    ids = require_collections(conn, user_id, collection_ids)
    note = note_text(note) if note is not None else None
    moment = _now(now)
    statement = insert_or_ignore(conn, saved_papers).values(
        user_id=user_id, paper_id=paper_id, saved_at=moment, note=note).returning(saved_papers.c.paper_id)
    added = conn.execute(statement).first() is not None
    if not added and note is not None:
        set_note(conn, user_id, paper_id, note)
    _join(conn, user_id, paper_id, ids, moment)
    return added


def unsave_paper(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    """Remove a paper from the library and from every collection of it; False when it was not saved."""
    result = conn.execute(saved_papers.delete().where(saved_papers.c.user_id == user_id,
                                                      saved_papers.c.paper_id == paper_id))
    return result.rowcount > 0


def set_note(conn: sa.Connection, user_id: int, paper_id: int, note: str | None) -> str | None:
    """Replace a saved paper's note (None or blank clears it); the note as stored."""
    note = note_text(note)
    _require_saved(conn, user_id, paper_id)
    conn.execute(saved_papers.update().where(saved_papers.c.user_id == user_id, saved_papers.c.paper_id == paper_id)
                 .values(note=note))
    return note


def _join(conn: sa.Connection, user_id: int, paper_id: int, collection_ids: Sequence[int], now: datetime) -> None:
    for collection_id in collection_ids:
        conn.execute(insert_or_ignore(conn, collection_papers).values(
            collection_id=collection_id, paper_id=paper_id, user_id=user_id, added_at=now))


def add_to_collection(conn: sa.Connection, user_id: int, paper_id: int, collection_id: int,
                      now: datetime | None = None) -> None:
    """Copy a saved paper into a collection (it stays in the others)."""
    require_collections(conn, user_id, [collection_id])
    _require_saved(conn, user_id, paper_id)
    _join(conn, user_id, paper_id, [collection_id], _now(now))


def remove_from_collection(conn: sa.Connection, user_id: int, paper_id: int, collection_id: int) -> None:
    """Take a paper out of one collection; it stays saved."""
    require_collections(conn, user_id, [collection_id])
    conn.execute(collection_papers.delete().where(
        collection_papers.c.collection_id == collection_id, collection_papers.c.paper_id == paper_id,
        collection_papers.c.user_id == user_id))


def set_collections(conn: sa.Connection, user_id: int, paper_id: int, collection_ids: Sequence[int],
                    now: datetime | None = None) -> None:
    """Put a saved paper in exactly these collections (none: in the library's "All" only)."""
    ids = require_collections(conn, user_id, collection_ids)
    _require_saved(conn, user_id, paper_id)
    conn.execute(collection_papers.delete().where(
        collection_papers.c.user_id == user_id, collection_papers.c.paper_id == paper_id,
        collection_papers.c.collection_id.not_in(ids) if ids else sa.true()))
    _join(conn, user_id, paper_id, ids, _now(now))


def move_paper(conn: sa.Connection, user_id: int, paper_id: int, to_id: int, from_id: int | None = None,
               now: datetime | None = None) -> None:
    """Move a saved paper into `to_id`: out of `from_id` when given, else out of every other collection."""
    require_collections(conn, user_id, [to_id] if from_id is None else [to_id, from_id])
    _require_saved(conn, user_id, paper_id)
    if from_id is None:
        set_collections(conn, user_id, paper_id, [to_id], now)
        return
    _join(conn, user_id, paper_id, [to_id], _now(now))
    if from_id != to_id:
        remove_from_collection(conn, user_id, paper_id, from_id)


def _matching(text: str):
    """Papers whose title, abstract, authors or note hold `text`, in any case (ASCII case on SQLite)."""
    needle = text.lower()
    fields = [papers.c.title, papers.c.abstract, sa.cast(papers.c.authors, sa.Text), saved_papers.c.note]
    return sa.or_(*(sa.func.lower(field).contains(needle, autoescape=True) for field in fields))


def library_page(conn: sa.Connection, user_id: int, *, collection_id: int | None = None, text: str = "",
                 offset: int = 0, limit: int = 25) -> LibraryPage:
    """One page of the reader's saved papers, newest saved first: all of them, or one collection's, or those
    whose title, abstract, authors or note hold `text`."""
    if collection_id is not None:
        require_collections(conn, user_id, [collection_id])
    where = [saved_papers.c.user_id == user_id]
    if collection_id is not None:
        where.append(sa.exists().where(collection_papers.c.collection_id == collection_id,
                                       collection_papers.c.user_id == user_id,
                                       collection_papers.c.paper_id == saved_papers.c.paper_id))
    source = saved_papers
    if text.strip():
        source = saved_papers.join(papers, papers.c.id == saved_papers.c.paper_id)
        where.append(_matching(text.strip()))
    total = conn.execute(sa.select(sa.func.count()).select_from(source).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(saved_papers.c.paper_id, saved_papers.c.saved_at, saved_papers.c.note).select_from(source)
        .where(*where).order_by(saved_papers.c.saved_at.desc(), saved_papers.c.paper_id.desc())
        .offset(offset).limit(limit)
    ).all()
    memberships = collections_of(conn, user_id, [row.paper_id for row in rows])
    items = [SavedPaper(row.paper_id, row.saved_at, row.note, memberships.get(row.paper_id, ())) for row in rows]
    return LibraryPage(items, total)


def saved_paper(conn: sa.Connection, user_id: int, paper_id: int) -> SavedPaper | None:
    row = conn.execute(sa.select(saved_papers).where(saved_papers.c.user_id == user_id,
                                                     saved_papers.c.paper_id == paper_id)).first()
    if row is None:
        return None
    return SavedPaper(row.paper_id, row.saved_at, row.note, collections_of(conn, user_id, [paper_id]).get(paper_id, ()))


def collections_of(conn: sa.Connection, user_id: int, paper_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Paper id -> the ids of the reader's collections it is in, for a page of papers (those in none are
    left out)."""
    ids = set(paper_ids)
    if not ids:
        return {}
    found: dict[int, list[int]] = {}
    rows = conn.execute(
        sa.select(collection_papers.c.paper_id, collection_papers.c.collection_id)
        .where(collection_papers.c.user_id == user_id, collection_papers.c.paper_id.in_(ids))
        .order_by(collection_papers.c.collection_id)
    )
    for paper_id, collection_id in rows:
        found.setdefault(paper_id, []).append(collection_id)
    return {paper_id: tuple(collection_ids) for paper_id, collection_ids in found.items()}


def saved_among(conn: sa.Connection, user_id: int | None, paper_ids: Iterable[int]) -> set[int]:
    """Which of a page of papers the reader has saved (none for a signed-out visitor)."""
    ids = set(paper_ids)
    if user_id is None or not ids:
        return set()
    return set(conn.execute(sa.select(saved_papers.c.paper_id).where(
        saved_papers.c.user_id == user_id, saved_papers.c.paper_id.in_(ids))).scalars())


def saved_paper_ids(conn: sa.Connection, user_id: int, collection_id: int | None = None) -> list[int]:
    """Every paper id of the library (or of one collection), newest saved first: for exports."""
    if collection_id is not None:
        require_collections(conn, user_id, [collection_id])
    query = sa.select(saved_papers.c.paper_id).where(saved_papers.c.user_id == user_id)
    if collection_id is not None:
        query = query.where(sa.exists().where(collection_papers.c.collection_id == collection_id,
                                              collection_papers.c.user_id == user_id,
                                              collection_papers.c.paper_id == saved_papers.c.paper_id))
    return list(conn.execute(query.order_by(saved_papers.c.saved_at.desc(), saved_papers.c.paper_id.desc()))
                .scalars())
