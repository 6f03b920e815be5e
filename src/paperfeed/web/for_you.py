"""What the "For you" page and the front page's For-you column share: the page's addresses, a reader's
ranked papers as cards beside the reasons each is shown for, and the papers a new reader is offered
to start a library from (foryou.onboarding's choice over the week's papers in the followed categories).

Everything here is one reader's own: call it with the signed-in reader, inside a write transaction
(the recommender keeps the rankings it makes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import feed
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.users import User
from paperfeed.db.votes import upvote_counts
from paperfeed.foryou.onboarding import Starter, starter_papers
from paperfeed.foryou.service import Recommender
from paperfeed.recommendations import Recommendation, Recommendations
from paperfeed.web.cards import Card, load_cards
from paperfeed.web.periods import Period, week_period

FOR_YOU = "/for-you"
STARTER_POOL = 2000  # the week's papers the starters are chosen from (newest first), shared by the categories


@dataclass(frozen=True, slots=True)
class Ranked:
    card: Card
    why: Recommendation  # match, closest library papers, shared words


@dataclass(frozen=True, slots=True)
class StarterCard:
    card: Card
    starter: Starter  # why it is offered: most upvoted or most central


def for_you_url(period: Period | None, collection: int | None = None, hide_read: bool = False,
                page: int = 1) -> str | None:
    if period is None:
        return None
    query = dict([period.param])
    if collection is not None:
        query["collection"] = str(collection)
    if hide_read:
        query["hide_read"] = "1"
    if page > 1:
        query["page"] = str(page)
    return FOR_YOU + "?" + urlencode(query)


def ranked_cards(conn: sa.Connection, user: User, found: Recommendations) -> list[Ranked]:
    cards = load_cards(conn, [item.paper for item in found.items], user,
                       scores={item.paper.id: item.ranked.score for item in found.items})
    return [Ranked(card, item) for card, item in zip(cards, found.items, strict=True)]


def starter_week(period: Period, latest: date | None) -> Period:
    """The week whose papers a new reader is offered: the period's, or for a month (or a period running
    past the newest papers) the week of its last day with papers."""
    return week_period(min(period.end, latest) if latest and latest >= period.start else period.start)


def starter_cards(conn: sa.Connection, recommender: Recommender, settings: Settings, user: User,
                  week: Period) -> list[StarterCard]:
    """The week's most upvoted, then most central, papers in the followed categories (each category's
    most central in turn), as cards."""
    pool = max(1, STARTER_POOL // max(1, len(settings.categories)))
    pools = {category: feed.announced_papers(conn, week.start, week.end, [category], limit=pool).ids
             for category in settings.categories}
    ids = sorted({i for found in pools.values() for i in found})
    chosen = starter_papers(pools, upvote_counts(conn, ids), recommender.source.vectors(ids))
    found = papers_by_ids(conn, [starter.paper_id for starter in chosen])
    chosen = [starter for starter in chosen if starter.paper_id in found]
    cards = load_cards(conn, [found[starter.paper_id] for starter in chosen], user)
    return [StarterCard(card, starter) for card, starter in zip(cards, chosen, strict=True)]
