"""What the library's routes share (the Save and "more / less like this" buttons on cards, the Library
pages, the JSON API): who may act, the allowance each change counts against, each change in one
transaction, the api_models it answers with, and the /library page, which several forms answer with.

Everything here is private to its reader: each function takes the signed-in reader and reads or
changes their own rows alone (db/library.py, db/collections.py, db/ratings.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import Form, Request
from pydantic import BeforeValidator
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from paperfeed.db.collections import Collection, list_collections
from paperfeed.db.library import SavedPaper, library_page, saved_paper
from paperfeed.db.papers import get_paper, papers_by_ids
from paperfeed.db.ratings import clear_rating, rate_paper, ratings_of, training_signals
from paperfeed.db.users import User
from paperfeed.library import MAX_NOTE, RATING_NAMES, Signal, rating_value
from paperfeed.models import Paper
from paperfeed.web import api_models as api
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.cards import Card, card_model, load_cards, paper_path
from paperfeed.web.links import LIST_PER_PAGE
from paperfeed.web.render import respond, wants_json

LIBRARY = "/library"
PER_PAGE = LIST_PER_PAGE
PRIVATE = {"Cache-Control": "private"}  # one reader's page: no shared cache may keep it
SIGN_IN_TO_SAVE = "Sign in to save papers to your library."
SIGN_IN_TO_RATE = "Sign in to rate papers."


def _blank_is_none(value):
    """A form's empty choice (`collection=`, as a browser sends "no collection") means none, not a bad id."""
    return None if isinstance(value, str) and not value.strip() else value


# The forms' fields, bounded like the API's (api_models): a wrong type or size is a 422 before any handler.
CollectionField = Annotated[int | None, BeforeValidator(_blank_is_none),
                            Form(ge=1, le=2**31 - 1, description="One of your collections' ids.")]
NoteField = Annotated[str | None, Form(max_length=MAX_NOTE, description="A private note (replaces the stored one).")]


def signed_in(user: User | None, message: str = SIGN_IN_TO_SAVE) -> User:
    """The reader, or 401 (the library has nothing to show anyone else)."""
    if user is None:
        raise HTTPException(401, message)
    return user


def count(request: Request, action: str, user: User) -> None:
    """Count one change against the reader's allowance for `action` (web/ratelimit.py: rate, library, import)."""
    request.app.state.rate_limiter.hit(action, ip=client_address(request), account=str(user.id))


def collection_model(collection: Collection) -> api.Collection:
    return api.Collection(id=collection.id, name=collection.name, papers=collection.papers,
                          createdAt=collection.created_at)


def _refs(collections: Iterable[Collection], ids: Iterable[int]) -> list[api.CollectionRef]:
    names = {collection.id: collection.name for collection in collections}
    return [api.CollectionRef(id=collection_id, name=names[collection_id]) for collection_id in ids
            if collection_id in names]


def library_state(conn: sa.Connection, user: User, paper: Paper) -> api.LibraryState:
    """The paper as the reader's library holds it now."""
    saved = saved_paper(conn, user.id, paper.id)
    rating = ratings_of(conn, user.id, [paper.id]).get(paper.id)
    return api.LibraryState(
        paper=paper.key, saved=saved is not None, savedAt=saved.saved_at if saved else None,
        note=saved.note if saved else None,
        collections=_refs(list_collections(conn, user.id), saved.collection_ids) if saved else [],
        rating=RATING_NAMES.get(rating) if rating else None,
    )


def change_paper(engine: sa.Engine, user: User, key: str,
                 change: Callable[[sa.Connection, int, int], object]) -> api.LibraryState:
    """Apply `change(conn, user_id, paper_id)` to the paper `key` names and read its new state, in one
    transaction (db/library.py's and db/ratings.py's changes all take those three)."""
    with engine.begin() as conn:
        paper = get_paper(conn, key)
        change(conn, user.id, paper.id)
        return library_state(conn, user, paper)


def rating_change(rating: str) -> Callable[[sa.Connection, int, int], object]:
    """The change a rating button makes: "more" or "less" rates the paper, "none" forgets its rating."""
    if rating == "none":
        return clear_rating
    value = rating_value(rating)
    return lambda conn, user_id, paper_id: rate_paper(conn, user_id, paper_id, value)


def library_items(cards: list[Card], saved: list[SavedPaper], collections: list[Collection]) -> list[api.LibraryItem]:
    """The JSON of a page of saved papers (cards in the same order as `saved`)."""
    return [
        api.LibraryItem(paper=card_model(card).paper, savedAt=item.saved_at, note=item.note,
                        collections=_refs(collections, item.collection_ids),
                        rating=RATING_NAMES.get(card.rating) if card.rating else None)
        for card, item in zip(cards, saved, strict=True)
    ]


def learned_from(conn: sa.Connection, user: User, collection_id: int | None = None) -> api.LearnedFrom:
    """What the reader's model learns from, with each paper's title and page."""
    signals = training_signals(conn, user.id, collection_id)
    found = papers_by_ids(conn, signals.positive_ids + signals.negative_ids)

    def described(signal: Signal) -> api.LearnedPaper:
        paper = found[signal.paper_id]
        return api.LearnedPaper(paper=paper.key, title=paper.title, url=paper_path(paper.key),
                                reasons=[api.Evidence(kind=item.kind, at=item.at) for item in signal.evidence])

    return api.LearnedFrom(positives=[described(s) for s in signals.positives if s.paper_id in found],
                           negatives=[described(s) for s in signals.negatives if s.paper_id in found])


def library_url(collection_id: int | None = None, q: str = "", page: int = 1) -> str:
    query = {key: value for key, value in (("collection", collection_id), ("q", q), ("page", page))
             if value and not (key == "page" and value == 1)}
    return LIBRARY + (f"?{urlencode(query)}" if query else "")


def to_sign_in(request: Request, next_path: str) -> Response:
    """Signed out: the sign-in page, back to `next_path` after (asked for JSON, a 401)."""
    if wants_json(request):
        raise HTTPException(401, SIGN_IN_TO_SAVE)
    return RedirectResponse("/sign-in?" + urlencode({"next": next_path, "why": "library"}), status_code=303)


def library_page_response(request: Request, conn: sa.Connection, user: User, collection_id: int | None,
                          q: str = "", page: int = 1, *, error: str | None = None,
                          report: api.ImportReport | None = None, status_code: int = 200) -> Response:
    """The /library page (or its JSON): one page of the reader's saved papers, all or one collection's, or
    those matching `q`; with a form's error or an import's report when there is one to tell."""
    collections = list_collections(conn, user.id)
    result = library_page(conn, user.id, collection_id=collection_id, text=q, offset=(page - 1) * PER_PAGE,
                          limit=PER_PAGE)  # NotFound for a collection that is not the reader's
    found = papers_by_ids(conn, [item.paper_id for item in result.items])
    saved = [item for item in result.items if item.paper_id in found]
    cards = load_cards(conn, [found[item.paper_id] for item in saved], user)
    more = result.total > page * PER_PAGE
    links = {"previousPage": library_url(collection_id, q, page - 1) if page > 1 else None,
             "nextPage": library_url(collection_id, q, page + 1) if more else None}
    body = {"collections": [collection_model(c).model_dump(mode="json") for c in collections],
            "collection": collection_id, "q": q, "page": page, "total": result.total,
            "items": [item.model_dump(mode="json") for item in library_items(cards, saved, collections)],
            "links": links}
    context = {"collections": collections, "current": next((c for c in collections if c.id == collection_id), None),
               "entries": list(zip(cards, saved, strict=True)), "names": {c.id: c.name for c in collections},
               "total": result.total, "q": q, "page": page, "links": links, "error": error, "report": report,
               "here": library_url(collection_id, q, page)}
    return respond(request, "library/index.html", context, body, status_code=status_code, headers=PRIVATE)
