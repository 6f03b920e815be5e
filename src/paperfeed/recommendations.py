"""A reader's "For you" ranking as its readers outside the /for-you page get it: the JSON API, the
private RSS/Atom feed, the CLI and the MCP tool. Each ranked paper comes with its stored Paper and
the library papers it is closest to, and one plain-text line of reasons that all of them show.

    found = recommendations(conn, recommender, user_id, start, end, collection_id=None, limit=20)
    found.items[0].paper, found.items[0].closest, reasons(found.items[0])

Call it inside a transaction (engine.begin()): the recommender keeps the rankings it makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from paperfeed.db.collections import Collection, get_collection
from paperfeed.db.for_you import latest_paper_day
from paperfeed.db.papers import papers_by_ids
from paperfeed.foryou.service import ForYouItem, Recommender
from paperfeed.models import Paper

FEED_DAYS = 7  # a private feed holds the ranking of the last week with papers


@dataclass(frozen=True, slots=True)
class Recommendation:
    paper: Paper
    ranked: ForYouItem  # score, percentile, match, closest ids, shared words
    closest: tuple[Paper, ...]  # the library papers it is closest to, closest first


@dataclass(frozen=True, slots=True)
class Recommendations:
    state: str  # foryou.service START, LEARNING or READY
    positives: int
    needed: int
    start: date
    end: date
    collection: Collection | None  # the collection ranked for, or None for the whole library
    items: list[Recommendation]
    has_more: bool


def recommendations(conn: sa.Connection, recommender: Recommender, user_id: int, start: date, end: date, *,
                    collection_id: int | None = None, hide_read: bool = False, offset: int = 0,
                    limit: int = 20) -> Recommendations:
    """The reader's ranking of the papers of `start` to `end` (of one of their collections, NotFound for
    any other id) with the papers it names; papers deleted meanwhile are left out."""
    collection = get_collection(conn, user_id, collection_id) if collection_id is not None else None
    result = recommender.for_you(conn, user_id, start, end, collection_id=collection_id, hide_read=hide_read,
                                 offset=offset, limit=limit)
    found = papers_by_ids(conn, [i for item in result.items for i in (item.paper_id, *item.closest)])
    items = [Recommendation(found[item.paper_id], item, tuple(found[i] for i in item.closest if i in found))
             for item in result.items if item.paper_id in found]
    return Recommendations(result.state, result.positives, result.needed, start, end, collection, items,
                           result.has_more)


def reasons(recommendation: Recommendation) -> str:
    """Why it was recommended, on one line of plain text (callers escape it for HTML or XML)."""
    parts = []
    if recommendation.ranked.match is not None:
        parts.append(recommendation.ranked.match.value.capitalize())
    if recommendation.closest:
        parts.append("close to " + "; ".join(f"“{paper.title}”" for paper in recommendation.closest))
    if recommendation.ranked.shared_words:
        parts.append("shared words: " + ", ".join(recommendation.ranked.shared_words))
    return (". ".join(part[0].upper() + part[1:] for part in parts) + ".") if parts else ""


def latest_days(conn: sa.Connection, days: int = FEED_DAYS) -> tuple[date, date]:
    """The last `days` days up to the newest day with papers (today in an empty store)."""
    latest = latest_paper_day(conn) or datetime.now(UTC).date()
    return latest - timedelta(days=days - 1), latest
