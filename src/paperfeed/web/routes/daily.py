"""The daily feed (`/`, `/papers/daily` by day, week or month) and trending (`/trending`)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from paperfeed.db.feed import latest_feed_day
from paperfeed.foryou.service import READY
from paperfeed.rank import DEFAULT_HALF_LIFE
from paperfeed.recommendations import recommendations
from paperfeed.web import library, lists
from paperfeed.web.cards import card_json
from paperfeed.web.deps import ConnDep, EngineDep, RecommenderDep, SettingsDep, UserDep
from paperfeed.web.for_you import for_you_url, ranked_cards
from paperfeed.web.links import DAILY_PER_PAGE as PER_PAGE
from paperfeed.web.links import daily_url, feeds_for
from paperfeed.web.params import Day, Month, Page, Week, Window
from paperfeed.web.periods import Period, day_period, month_period, week_period
from paperfeed.web.render import respond, wants_json
from paperfeed.web.routes.api_for_you import for_you_items

router = APIRouter()
FOR_YOU_SHOWN = 10  # a signed-in reader's top For-you papers above the featured list


def interesting_json(page: lists.CardPage) -> list[dict]:
    """Cards ranked by the instance's interest, each with the figures that placed it."""
    return [card_json(card) | {"interest": {"readers": item.readers, "affinity": item.affinity,
                                            "centrality": item.centrality}}
            for card, item in zip(page.cards, page.interests or [], strict=True)]


def period_json(period: Period) -> dict:
    name, value = period.param
    return {"kind": period.kind, "start": period.start, "end": period.end, "label": period.label, name: value}


@router.get("/", summary="The daily feed of the latest day with papers")
@router.get("/papers/daily", summary="The daily feed of a day, an ISO week or a month")
def daily_page(request: Request, conn: ConnDep, engine: EngineDep, settings: SettingsDep, recommender: RecommenderDep,
               user: UserDep, day: Day = None, week: Week = None, month: Month = None, page: Page = 1):
    latest = latest_feed_day(conn, settings.categories)  # once: the default day and the last next link
    period = lists.feed_period(conn, settings, day.isoformat() if day else None, week, month, latest=latest)
    feed = lists.daily_feed(conn, settings, user, period, offset=(page - 1) * PER_PAGE, limit=PER_PAGE,
                            vectors=recommender.source.vectors)
    ranked_more = feed.interesting is not None and feed.interesting.more
    more = feed.featured_total > feed.offset + feed.limit or feed.new_more or ranked_more
    following = period.next()
    if following is not None and following.start > lists.last_feed_day(latest):
        following = None  # no link into days that have no papers yet
    links = {
        "previous": daily_url(period.previous()), "next": daily_url(following),
        "day": daily_url(day_period(period.start)), "week": daily_url(week_period(period.start)),
        "month": daily_url(month_period(period.start)),
        "previousPage": daily_url(period, page - 1) if page > 1 else None,
        "nextPage": daily_url(period, page + 1) if more else None,
    }
    body = {
        "period": period_json(period), "links": links, "page": page,
        "featured": [card_json(card) for card in feed.featured], "featuredTotal": feed.featured_total,
        "newOnArxiv": [card_json(card) for card in feed.new], "newOnArxivMore": feed.new_more,
        "categories": settings.categories,
    }
    if feed.interesting is not None:  # nothing featured: the new papers by this instance's interest
        body["byInterest"] = interesting_json(feed.interesting)
        body["byInterestMore"] = feed.interesting.more
    context = {"feed": feed, "period": period, "links": links, "page": page, "section": "daily",
               "feeds": feeds_for("daily", "Daily papers")}
    for_you, headers = None, None
    if user is not None and page == 1:  # a reader with a model sees their own best papers of the period first
        with engine.begin() as write:  # the recommender keeps what it ranks
            found = recommendations(write, recommender, user.id, period.start, period.end, limit=FOR_YOU_SHOWN)
            if found.state == READY:
                for_you = ranked_cards(write, user, found)
                if wants_json(request):
                    body["forYou"] = [item.model_dump(mode="json") for item in for_you_items(write, user, found.items)]
        if for_you is not None:
            links["forYou"] = for_you_url(period)
            headers = library.PRIVATE
    context["for_you"] = for_you
    return respond(request, "daily.html", context, body, headers=headers)


@router.get("/trending", summary="Papers with the most recent upvotes")
def trending_page(request: Request, conn: ConnDep, settings: SettingsDep, recommender: RecommenderDep, user: UserDep,
                  window: Window = "week", page: Page = 1):
    result, as_of = lists.trending(conn, user, window, offset=(page - 1) * PER_PAGE, limit=PER_PAGE,
                                   fallback=(settings, recommender.source.vectors))
    links = {
        "previousPage": f"/trending?{urlencode({'window': window, 'page': page - 1})}" if page > 1 else None,
        "nextPage": f"/trending?{urlencode({'window': window, 'page': page + 1})}" if result.more else None,
    }
    body = {"window": window, "asOf": as_of, "halfLifeHours": DEFAULT_HALF_LIFE.total_seconds() / 3600,
            "page": page, "links": links}
    if result.interests is None:
        body["papers"] = [card_json(card) for card in result.cards]
    else:  # no upvotes in the window: its new papers by this instance's interest, said so
        body["papers"], body["byInterest"] = [], interesting_json(result)
    context = {"result": result, "window": window, "as_of": as_of, "page": page, "links": links,
               "half_life_hours": body["halfLifeHours"], "windows": list(lists.TRENDING_WINDOWS),
               "section": "trending", "feeds": feeds_for("trending", "Trending papers", f"window={window}")}
    return respond(request, "trending.html", context, body)
