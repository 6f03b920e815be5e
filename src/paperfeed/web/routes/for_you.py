"""The "For you" page (`/for-you?date=|week=|month=&collection=&hide_read=&page=`), private to the
signed-in reader: the papers of a day, week or month ranked by their model (of the whole library, or
of one of their collections), each saying why: "strong match" / "weak match", the library papers it is
closest to and the words it shares with them. Read papers can be hidden.

Until the model has enough to learn from, the page says how many papers it still needs and offers three
ways to start: the reader's own papers by author name (/library/mine), an import of their library, or
a few of the week's most upvoted and most central papers to save; and the categories and trending.

The page's JSON is the API's (api_models.ForYou, as GET /api/for-you answers) with the page's links;
another reader's collection id is a 404, as for an id that never existed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator, Field

from paperfeed.db.collections import list_collections
from paperfeed.db.feed import latest_feed_day
from paperfeed.errors import InvalidInput
from paperfeed.foryou.onboarding import MOST_CENTRAL, MOST_UPVOTED
from paperfeed.foryou.service import READY
from paperfeed.recommendations import recommendations
from paperfeed.web import library, lists
from paperfeed.web.cards import card_json
from paperfeed.web.deps import EngineDep, RecommenderDep, SettingsDep, UserDep
from paperfeed.web.for_you import FOR_YOU, for_you_url, ranked_cards, starter_cards, starter_week
from paperfeed.web.params import Day, Month, Page, Week
from paperfeed.web.periods import day_period, month_period, week_period
from paperfeed.web.render import respond, wants_json
from paperfeed.web.routes.api_for_you import for_you_model

router = APIRouter()
PER_PAGE = 20
TRENDING_SHOWN = 5
# The picker's "whole library" sends collection= (blank): no collection, not a bad id.
CollectionQuery = Annotated[Annotated[int, Field(ge=1, le=2**31 - 1)] | None,
                            BeforeValidator(lambda value: None if value == "" else value),
                            Query(description="Rank for one of your collections.")]
HideRead = Annotated[bool, Query(description="Leave out papers you opened, saved or rated.")]
SIGNED_OUT = {303: {"description": "Signed out: to the sign-in page (asked for JSON, a 401)."}}


@router.get(FOR_YOU, responses=SIGNED_OUT,
            summary="Your ranking of a day's, week's or month's papers, with reasons (signed in)")
def for_you_page(request: Request, engine: EngineDep, settings: SettingsDep, recommender: RecommenderDep,
                 user: UserDep, day: Day = None, week: Week = None, month: Month = None,
                 collection: CollectionQuery = None, hide_read: HideRead = False, page: Page = 1):
    if user is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return library.to_sign_in(request, here)
    offset = (page - 1) * PER_PAGE
    if offset >= settings.for_you_keep:
        raise InvalidInput(f"page {page} starts past the end: only the best {settings.for_you_keep} papers of "
                           "each day are kept")
    with engine.begin() as conn:  # the recommender keeps what it ranks
        latest = latest_feed_day(conn, settings.categories)
        period = lists.feed_period(conn, settings, day.isoformat() if day else None, week, month, latest=latest)
        found = recommendations(conn, recommender, user.id, period.start, period.end, collection_id=collection,
                                hide_read=hide_read, offset=offset, limit=PER_PAGE)
        collections = list_collections(conn, user.id)
        ranked = ranked_cards(conn, user, found)
        starters, trending = [], []
        if found.state != READY:
            starters = starter_cards(conn, recommender, settings, user, starter_week(period, latest))
            trending = lists.trending(conn, user, "week", limit=TRENDING_SHOWN)[0].cards
        body = for_you_model(conn, user, found).model_dump(mode="json") if wants_json(request) else None

    following = period.next()
    if following is not None and following.start > lists.last_feed_day(latest):
        following = None  # no link into days that have no papers yet
    more = found.has_more and offset + PER_PAGE < settings.for_you_keep
    links = {
        "previous": for_you_url(period.previous(), collection, hide_read),
        "next": for_you_url(following, collection, hide_read),
        "day": for_you_url(day_period(period.start), collection, hide_read),
        "week": for_you_url(week_period(period.start), collection, hide_read),
        "month": for_you_url(month_period(period.start), collection, hide_read),
        "hideRead": for_you_url(period, collection, not hide_read),
        "previousPage": for_you_url(period, collection, hide_read, page - 1) if page > 1 else None,
        "nextPage": for_you_url(period, collection, hide_read, page + 1) if more else None,
    }
    if body is not None:
        body.update(period=period.param[1], kind=period.kind, hideRead=hide_read, page=page, links=links,
                    collections=[library.collection_model(c).model_dump(mode="json") for c in collections],
                    starters=[{"reason": s.starter.reason, **card_json(s.card)} for s in starters])
    context = {"found": found, "ranked": ranked, "period": period, "links": links, "page": page,
               "collections": collections, "current": found.collection, "hide_read": hide_read,
               "starters": starters, "trending": trending, "offset": offset, "section": "for-you",
               "MOST_UPVOTED": MOST_UPVOTED, "MOST_CENTRAL": MOST_CENTRAL}
    return respond(request, "for_you/page.html", context, body, headers=library.PRIVATE)
