"""Private "For you" feeds: the reader's ranking as RSS or Atom at /feeds/for-you/{token}.rss|.atom, for a
feed reader that holds no cookie, and the page that makes, lists and revokes them (/for-you/feeds).

The token is the whole credential (db/private_feeds.py): shown once, on the page (or JSON) that answers
its making; a revoked, unknown or malformed one is the same 404 as any missing page. A feed holds the
best papers of the last week with papers (recommendations.latest_days), each with its reasons before
the abstract (routes/feeds.render_feed escapes both). Feed links are made by a signed-in reader's
session, never with an API token: a leaked token must not mint credentials that outlive it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from starlette.responses import RedirectResponse, Response

from paperfeed.db.collections import Collection, list_collections
from paperfeed.db.private_feeds import PrivateFeed, create_feed, list_feeds, resolve_feed, revoke_feed
from paperfeed.db.users import User
from paperfeed.errors import Forbidden, NotFound
from paperfeed.recommendations import latest_days, reasons, recommendations
from paperfeed.web import api_models as api
from paperfeed.web import library
from paperfeed.web.cards import load_cards
from paperfeed.web.deps import EngineDep, RecommenderDep, SettingsDep, UserDep
from paperfeed.web.errors import json_error
from paperfeed.web.links import DAILY_PER_PAGE
from paperfeed.web.render import JsonResponse, respond, wants_json
from paperfeed.web.routes.feeds import MEDIA_TYPES, FeedInfo, Kind, render_feed

router = APIRouter()
FEEDS_PATH = "/for-you/feeds"
NO_FEED = "no such feed"  # one answer for a token revoked, never made, or malformed
NOT_WITH_A_TOKEN = "Private feeds are made by a signed-in reader on /for-you/feeds, not with an API token."
FeedId = Annotated[int, Path(ge=1, le=2**31 - 1)]
FEED_HEADERS = {"Cache-Control": "private", "X-Robots-Tag": "noindex"}


def _site(request: Request) -> str:
    return request.app.state.settings.base_url.rstrip("/")


def feed_urls(request: Request, token: str) -> dict[str, str]:
    return {kind: f"{_site(request)}/feeds/for-you/{token}.{kind}" for kind in ("rss", "atom")}


def _ref(collection_id: int | None, collections: list[Collection]) -> api.CollectionRef | None:
    names = {c.id: c.name for c in collections}
    return api.CollectionRef(id=collection_id, name=names[collection_id]) if collection_id in names else None


def _feed_model(feed: PrivateFeed, collections: list[Collection]) -> api.PrivateFeed:
    return api.PrivateFeed(id=feed.id, collection=_ref(feed.collection_id, collections), createdAt=feed.created_at)


def _sign_in(request: Request) -> Response:
    return library.to_sign_in(request, FEEDS_PATH)


def _feeds_page(request: Request, engine, user: User, *, created: tuple[PrivateFeed, str] | None = None,
                status_code: int = 200) -> Response:
    with engine.connect() as conn:
        feeds, collections = list_feeds(conn, user.id), list_collections(conn, user.id)
    body = api.PrivateFeeds(feeds=[_feed_model(feed, collections) for feed in feeds])
    urls = feed_urls(request, created[1]) if created else None
    headers = dict(library.PRIVATE)
    if created:  # the only time the address is shown: kept out of every cache
        body.created = api.NewPrivateFeed(**_feed_model(created[0], collections).model_dump(), **urls)
        headers["Cache-Control"] = "no-store"
    context = {"feeds": feeds, "collections": collections, "names": {c.id: c.name for c in collections},
               "created": created[0] if created else None, "urls": urls}
    return respond(request, "for_you/feeds.html", context, body.model_dump(mode="json"), status_code=status_code,
                   headers=headers)


def _json_or_page(model: type, status: int = 200) -> dict:
    return {"response_model": model, "status_code": status, "responses": {
        status: {"content": {"text/html": {"schema": {"type": "string"}}}},
        303: {"description": "A browser is sent to the page, or to sign in."},
    }}


@router.get(FEEDS_PATH, **_json_or_page(api.PrivateFeeds),
            summary="Your private For you feeds (an address is shown only when made)")
def feeds_page(request: Request, engine: EngineDep, user: UserDep):
    if user is None:
        return _sign_in(request)
    return _feeds_page(request, engine, user)


@router.post(FEEDS_PATH, **_json_or_page(api.PrivateFeeds, 201),
             summary="Make a private feed of your ranking (the library's, or one collection's); shown once")
def new_feed(request: Request, engine: EngineDep, user: UserDep, collection: library.CollectionField = None):
    if user is None:
        return _sign_in(request)
    if request.state.api_token is not None:
        raise Forbidden(NOT_WITH_A_TOKEN)
    library.count(request, "library", user)
    with engine.begin() as conn:
        created = create_feed(conn, user.id, collection)  # NotFound for a collection not the reader's
    return _feeds_page(request, engine, user, created=created, status_code=201)


def _revoke(request: Request, engine, user: User | None, feed_id: int) -> Response:
    if user is None:
        return _sign_in(request)
    with engine.begin() as conn:
        if not revoke_feed(conn, user.id, feed_id):  # another reader's feed is "none of yours" too
            raise NotFound(f"You have no private feed with id {feed_id}.")
    if wants_json(request):
        return JsonResponse(api.FeedRevoked(revoked=feed_id).model_dump())
    return RedirectResponse(FEEDS_PATH, status_code=303)


@router.post(FEEDS_PATH + "/{feed_id}/revoke", **_json_or_page(api.FeedRevoked),
             summary="Revoke one of your private feeds (form or JSON): its address stops working")
def revoke_by_form(request: Request, engine: EngineDep, user: UserDep, feed_id: FeedId):
    return _revoke(request, engine, user, feed_id)


@router.delete(FEEDS_PATH + "/{feed_id}", **_json_or_page(api.FeedRevoked),
               summary="Revoke one of your private feeds")
def revoke(request: Request, engine: EngineDep, user: UserDep, feed_id: FeedId):
    return _revoke(request, engine, user, feed_id)


@router.get("/feeds/for-you/{token}.{kind}", tags=["feeds"],
            summary="A private feed of a reader's For you ranking (the address made on /for-you/feeds)")
def private_feed(request: Request, token: Annotated[str, Path(max_length=200)], kind: Kind, engine: EngineDep,
                 settings: SettingsDep, recommender: RecommenderDep):
    with engine.begin() as conn:  # the recommender keeps what it ranks
        feed = resolve_feed(conn, token)
        if feed is None:  # a feed reader is no browser: the same few bytes of JSON, whatever was guessed
            return json_error(404, NO_FEED)
        start, end = latest_days(conn)
        found = recommendations(conn, recommender, feed.user_id, start, end, collection_id=feed.collection_id,
                                limit=DAILY_PER_PAGE)
        cards = load_cards(conn, [item.paper for item in found.items], None)
    scope = f" · {found.collection.name}" if found.collection else ""
    page = "/for-you" + (f"?{urlencode({'collection': feed.collection_id})}" if feed.collection_id else "")
    waiting = "" if found.state == "ready" else (
        f" Save or rate {found.needed} more paper{'s' if found.needed != 1 else ''} to start the ranking.")
    info = FeedInfo(f"For you{scope}", f"Your ranking of the papers of {start} to {end}, best first.{waiting}",
                    _site(request) + page, f"{_site(request)}/feeds/for-you/{token}.{kind}")
    notes = {item.paper.id: reasons(item) for item in found.items}
    body = render_feed(kind, info, cards, settings.base_url.rstrip("/"), notes=notes)
    return Response(body, media_type=MEDIA_TYPES[kind], headers=FEED_HEADERS)
