"""The lists of papers that the pages, the /api/ endpoints and the feeds share: the daily feed of a
period, trending, a category's and an author's newest papers, and one paper's card. Each returns
cards (see cards.py), so a page, its JSON, the API and the RSS feed of one list always hold the same
papers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import feed
from paperfeed.db.listings import first_listing
from paperfeed.db.papers import get_paper, papers_by_ids
from paperfeed.db.ratings import everyone_evidence
from paperfeed.db.trending import last_activity, trending_papers
from paperfeed.db.users import User
from paperfeed.interest import Interest, rank_by_interest, readers_by_paper
from paperfeed.models import Listing
from paperfeed.search import Filters, SearchService
from paperfeed.web.cards import Card, load_cards
from paperfeed.web.periods import Period, day_period, parse_period

TRENDING_WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
INTEREST_POOL = 2000  # the period's newest papers in the followed categories that the fallback ranks
TASTE_EVIDENCE = 2000  # the newest saves, upvotes and ratings (each) of all readers: the instance's taste

Vectors = Callable[[Sequence[int]], Mapping[int, np.ndarray]]  # paper ids -> the embeddings kept of them


@dataclass(frozen=True, slots=True)
class CardPage:
    cards: list[Card]
    more: bool
    offset: int
    limit: int
    interests: list[Interest] | None = None  # why each card is here, when ranked by interest


@dataclass(frozen=True, slots=True)
class DailyFeed:
    period: Period
    featured: list[Card]
    featured_total: int
    new: list[Card]  # new on arXiv in the followed categories
    new_more: bool
    offset: int
    limit: int
    interesting: CardPage | None = None  # with nothing featured: the new papers by the instance's interest


def _cards_in_order(conn: sa.Connection, ids: list[int], user: User | None, **extra) -> list[Card]:
    found = papers_by_ids(conn, ids)
    return load_cards(conn, [found[i] for i in ids if i in found], user, **extra)


def last_feed_day(latest: date | None) -> date:
    """The last day worth a link, given the latest day with data (feed.latest_feed_day): today, or a
    later day that already has papers (time zones ahead of UTC)."""
    today = datetime.now(UTC).date()
    return max(latest, today) if latest else today


def feed_period(conn: sa.Connection, settings: Settings, day: str | None, week: str | None,
                month: str | None, *, latest: date | None = None) -> Period:
    """The period asked for; by default the latest day with data (a store of old papers is not empty
    just because nothing was featured today). `latest` saves the lookup when the caller has it."""
    if not (day or week or month):
        latest = latest or feed.latest_feed_day(conn, settings.categories)
        return day_period(latest or datetime.now(UTC).date())
    return parse_period(day, week, month, datetime.now(UTC).date())


def featured(conn: sa.Connection, user: User | None, start: date, end: date, *, offset: int = 0, limit: int = 50,
             sort: str = "upvotes", submitter: str | None = None) -> tuple[list[Card], int]:
    """The cards of the papers featured from `start` to `end` (by `submitter` alone, if given), and their number."""
    items, total = feed.featured_papers(conn, start, end, sort=sort, limit=limit, offset=offset, submitter=submitter)
    return _cards_in_order(conn, [item.paper_id for item in items], user, listed=_listed(items)), total


def by_interest(conn: sa.Connection, settings: Settings, user: User | None, start: date, end: date,
                vectors: Vectors, *, offset: int = 0, limit: int = 50) -> CardPage:
    """The papers announced from `start` to `end` in the followed categories, ranked by the instance's
    own interest in them (paperfeed.interest): what a list shows when nothing else ranks the period."""
    pool = feed.announced_papers(conn, start, end, settings.categories, limit=INTEREST_POOL).ids
    if not pool:
        return CardPage([], False, offset, limit, [])
    readers = readers_by_paper(everyone_evidence(conn, pool))
    liked = list(readers_by_paper(everyone_evidence(conn, newest=TASTE_EVIDENCE)))
    found = vectors(sorted(set(pool) | set(liked)))
    ranked = rank_by_interest(pool, readers, found, [found[i] for i in liked if i in found])
    page = ranked[offset:offset + limit]
    cards = _cards_in_order(conn, [item.paper_id for item in page], user)
    shown = {card.paper.id for card in cards}
    return CardPage(cards, len(ranked) > offset + limit, offset, limit,
                    [item for item in page if item.paper_id in shown])


def daily_feed(conn: sa.Connection, settings: Settings, user: User | None, period: Period, *,
               offset: int = 0, limit: int = 50, sort: str = "upvotes", vectors: Vectors | None = None) -> DailyFeed:
    """The period's featured papers and its new ones; with nothing featured and `vectors` to rank by,
    the new papers by the instance's interest too (the front page is never empty while there are papers)."""
    featured_cards, total = featured(conn, user, period.start, period.end, offset=offset, limit=limit, sort=sort)
    new = feed.announced_papers(conn, period.start, period.end, settings.categories, limit=limit, offset=offset)
    interesting = None
    if total == 0 and vectors is not None:
        interesting = by_interest(conn, settings, user, period.start, period.end, vectors, offset=offset, limit=limit)
    return DailyFeed(period, featured_cards, total, _cards_in_order(conn, new.ids, user), new.more, offset, limit,
                     interesting)


def paper_card(conn: sa.Connection, user: User | None, key: str) -> Card:
    """The card of the paper a URL path names (db/papers.get_paper, exact), with its first day on the
    daily feed if it was featured: who submitted it, and when."""
    paper = get_paper(conn, key, exact=True)
    listing = first_listing(conn, paper.id)
    return load_cards(conn, [paper], user, listed=_listed([listing] if listing else []))[0]


def _listed(items: Sequence[feed.Featured | Listing]) -> dict[int, feed.Featured | Listing]:
    """Listings by paper id, each with a submission time: a source that gave none (paperfeed's
    own sample data) is taken to have listed the paper at the start of its day."""
    return {item.paper_id: replace(item, submitted_at=item.submitted_at or
                                   datetime.combine(item.day, time(0), tzinfo=UTC)) for item in items}


def trending_as_of(conn: sa.Connection, window: timedelta, now: datetime | None = None) -> datetime:
    """Now, unless the newest vote or listing is older than the window: then the end of that day,
    so a store of past papers (the sample data) still shows what was trending when it ends."""
    now = now or datetime.now(UTC)
    last_vote, last_day = last_activity(conn)
    candidates = [moment for moment in (
        last_vote, datetime.combine(last_day, time(23, 59, 59), tzinfo=UTC) if last_day else None,
    ) if moment is not None]
    if not candidates:
        return now
    latest = max(candidates)
    return now if latest >= now - window else latest


def trending(conn: sa.Connection, user: User | None, window: str, *, offset: int = 0, limit: int = 50,
             now: datetime | None = None,
             fallback: tuple[Settings, Vectors] | None = None) -> tuple[CardPage, datetime]:
    """Trending papers (best first, see paperfeed/rank.py) and the moment they were ranked at. With no
    upvotes in the window and a `fallback` to rank by, the window's new papers by interest instead."""
    span = TRENDING_WINDOWS[window]
    as_of = trending_as_of(conn, span, now)
    ranked = trending_papers(conn, as_of, span, limit=offset + limit + 1)
    if not ranked and fallback is not None:
        settings, vectors = fallback
        # The window's days, ending on as_of's, or on the newest day with papers when that is older
        # (a store of past papers still shows its last papers).
        end = min(as_of.date(), feed.latest_feed_day(conn, settings.categories) or as_of.date())
        start = end - timedelta(days=max(0, span.days - 1))
        return by_interest(conn, settings, user, start, end, vectors, offset=offset, limit=limit), as_of
    page = ranked[offset:offset + limit]
    scores = {item.paper_id: item.score for item in page}
    cards = _cards_in_order(conn, [item.paper_id for item in page], user, scores=scores)
    return CardPage(cards, len(ranked) > offset + limit, offset, limit), as_of


def category(conn: sa.Connection, user: User | None, name: str, *, offset: int = 0, limit: int = 50) -> CardPage:
    page = feed.category_papers(conn, name, limit=limit, offset=offset)
    return CardPage(_cards_in_order(conn, page.ids, user), page.more, offset, limit)


def author(conn: sa.Connection, search: SearchService | None, user: User | None, name: str, *,
           offset: int = 0, limit: int = 50) -> CardPage:
    """The author's papers, newest first: through the search index's exact author filter, or a scan
    of the store when there is no index yet."""
    if search is not None:
        results = search.search("", Filters(authors=(name,)), limit=limit, offset=offset, sort="date")
        cards = load_cards(conn, [hit.paper for hit in results.hits], user)
        return CardPage(cards, results.more, offset, limit)
    page = feed.author_papers(conn, name, limit=limit, offset=offset)
    return CardPage(_cards_in_order(conn, page.ids, user), page.more, offset, limit)
