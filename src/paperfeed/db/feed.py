"""Reads behind the web pages: the papers featured in a period (by upvotes), the papers newly
announced in the followed categories, a category's and an author's newest papers.

Every list has a documented order ending in a unique tiebreaker (the paper id), so paging through
it never shows a paper twice or skips one while the data stands still.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from paperfeed.db.schema import listings, paper_categories, papers, votes
from paperfeed.identity import name_key

FEATURED_SORTS = ("upvotes", "date")
AUTHOR_SCAN_LIMIT = 5000  # the LIKE fallback reads at most this many candidate rows


@dataclass(frozen=True, slots=True)
class Featured:
    """A paper on the daily feed of a period: its latest listing there, and the upvotes shown for it."""

    paper_id: int
    day: date
    upvotes: int
    submitted_by: str | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    ids: list[int]
    more: bool  # another page follows


def _in_categories(categories: Sequence[str]):
    return sa.exists().where(paper_categories.c.paper_id == papers.c.id,
                             paper_categories.c.category.in_(list(categories)))


def latest_feed_day(conn: sa.Connection, categories: Sequence[str]) -> date | None:
    """The newest day with listings or with papers announced in `categories`; None for an empty store."""
    listed = conn.execute(sa.select(sa.func.max(listings.c.day))).scalar_one_or_none()
    announced = None
    if categories:
        # Walks the announced_on index from the newest end and stops at the first followed paper.
        announced = conn.execute(
            sa.select(papers.c.announced_on)
            .where(papers.c.announced_on.is_not(None), _in_categories(categories))
            .order_by(papers.c.announced_on.desc()).limit(1)
        ).scalar_one_or_none()
    days = [d for d in (listed, announced) if d is not None]
    return max(days) if days else None


def featured_papers(conn: sa.Connection, start: date, end: date, *, sort: str = "upvotes",
                    limit: int = 50, offset: int = 0, submitter: str | None = None) -> tuple[list[Featured], int]:
    """Papers listed between `start` and `end` (inclusive) and how many there are in all; with
    `submitter`, only the listings `submitter` (matched exactly) put on the feed.

    sort="upvotes": most upvotes first (the source's count plus local votes, as shown beside the
    paper), then the later listing day, then the paper id. sort="date": the latest listing day
    first, then upvotes, then the paper id.
    """
    if sort not in FEATURED_SORTS:
        raise ValueError(f"sort must be one of {FEATURED_SORTS}")
    in_range = sa.and_(listings.c.day >= start, listings.c.day <= end)
    if submitter is not None:
        in_range = sa.and_(in_range, listings.c.submitted_by == submitter)
    featured = (sa.select(listings.c.paper_id, sa.func.max(listings.c.day).label("day"))
                .where(in_range).group_by(listings.c.paper_id).subquery())
    featured_ids = sa.select(featured.c.paper_id)
    # Shown counts (db/votes.upvote_counts): the source's highest count for the paper plus local votes.
    imported = (sa.select(listings.c.paper_id, sa.func.max(listings.c.upvotes).label("n"))
                .where(listings.c.paper_id.in_(featured_ids)).group_by(listings.c.paper_id).subquery())
    local = (sa.select(votes.c.paper_id, sa.func.count().label("n"))
             .where(votes.c.paper_id.in_(featured_ids)).group_by(votes.c.paper_id).subquery())
    upvotes = (sa.func.coalesce(imported.c.n, 0) + sa.func.coalesce(local.c.n, 0)).label("upvotes")
    order = ([upvotes.desc(), featured.c.day.desc()] if sort == "upvotes" else [featured.c.day.desc(), upvotes.desc()])
    rows = conn.execute(
        sa.select(featured.c.paper_id, featured.c.day, upvotes)
        .outerjoin(imported, imported.c.paper_id == featured.c.paper_id)
        .outerjoin(local, local.c.paper_id == featured.c.paper_id)
        .order_by(*order, featured.c.paper_id).limit(limit).offset(offset)
    ).all()
    total = conn.execute(sa.select(sa.func.count()).select_from(featured)).scalar_one()
    who = _submitters(conn, [(row.paper_id, row.day) for row in rows])
    items = [Featured(row.paper_id, row.day, row.upvotes, *who.get((row.paper_id, row.day), (None, None)))
             for row in rows]
    return items, total


def _submitters(conn: sa.Connection, slots: list[tuple[int, date]]) -> dict[tuple[int, date], tuple]:
    if not slots:
        return {}
    rows = conn.execute(
        sa.select(listings.c.paper_id, listings.c.day, listings.c.submitted_by, listings.c.submitted_at)
        .where(listings.c.paper_id.in_({pid for pid, _ in slots}), listings.c.day.in_({day for _, day in slots}))
    )
    return {(row.paper_id, row.day): (row.submitted_by, row.submitted_at) for row in rows}


def _page(conn: sa.Connection, query: sa.Select, limit: int, offset: int) -> Page:
    ids = list(conn.execute(query.limit(limit + 1).offset(offset)).scalars())
    return Page(ids[:limit], len(ids) > limit)


def _newest_first():
    return (papers.c.announced_on.desc().nulls_last(), papers.c.published_on.desc().nulls_last(), papers.c.id.desc())


def announced_papers(conn: sa.Connection, start: date, end: date, categories: Sequence[str], *,
                     limit: int = 50, offset: int = 0) -> Page:
    """Papers announced on arXiv between `start` and `end` in any of `categories`: newest day first,
    then the higher paper id."""
    if not categories:
        return Page([], False)
    query = (sa.select(papers.c.id)
             .where(papers.c.announced_on >= start, papers.c.announced_on <= end, _in_categories(categories))
             .order_by(papers.c.announced_on.desc(), papers.c.id.desc()))
    return _page(conn, query, limit, offset)


def category_papers(conn: sa.Connection, category: str, *, limit: int = 50, offset: int = 0) -> Page:
    """A category's papers, newest first: by announced day, then published day, then the higher id."""
    query = (sa.select(papers.c.id).join(paper_categories, paper_categories.c.paper_id == papers.c.id)
             .where(paper_categories.c.category == category).order_by(*_newest_first()))
    return _page(conn, query, limit, offset)


# Letters a stored name may carry accented (é, ö, å): one-character wildcards in the LIKE pattern, so
# "Scholkopf" finds "Schölkopf" and "José" finds "Jose"; the name_key comparison after the query decides.
_MAY_CARRY_AN_ACCENT = frozenset("aeiouyAEIOUY")


def _like_word(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # SQLite's ILIKE folds ASCII letters only: a non-ASCII letter matches any one character here.
    return "".join("_" if not c.isascii() or c in _MAY_CARRY_AN_ACCENT else c for c in escaped)


def author_papers(conn: sa.Connection, name: str, *, limit: int = 50, offset: int = 0) -> Page:
    """An author's papers, newest first, without the search index: a LIKE on the stored author
    list narrows the candidates, the name key (identity.name_key: case and accents folded) decides.
    Reads at most AUTHOR_SCAN_LIMIT candidates; the search index's author filter has no such limit."""
    words = name.split()
    if not words:
        return Page([], False)
    pattern = "%" + "%".join(_like_word(w) for w in words) + "%"
    rows = conn.execute(
        sa.select(papers.c.id, papers.c.authors)
        .where(sa.cast(papers.c.authors, sa.Text).ilike(pattern, escape="\\"))
        .order_by(*_newest_first()).limit(AUTHOR_SCAN_LIMIT)
    )
    wanted = name_key(name)
    ids = [row.id for row in rows if any(name_key(author) == wanted for author in row.authors)]
    return Page(ids[offset:offset + limit], len(ids) > offset + limit)
