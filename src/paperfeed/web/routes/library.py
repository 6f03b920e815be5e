"""The Library pages, private to the signed-in reader. /library: their saved papers by collection (tabs,
with "All"), newest saved first, paged, with a search inside; each paper's note, move or copy to
another collection, out of one collection or out of the library; collections made, renamed and
deleted; export and import. /library/learned: what the model learns from (saves, upvotes, ratings,
with dates), each with its own "clear", and "clear all ratings".

Forms post and are sent back (303) to the page they were on; asked for JSON (Accept, as app.js asks),
the same changes answer the api_models the API answers. Another reader's collection id is a 404,
as for an id that never existed, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Form, Path, Query, Request
from pydantic import BeforeValidator
from starlette.responses import RedirectResponse, Response

from paperfeed.db.collections import create_collection, delete_collection, rename_collection
from paperfeed.db.library import add_to_collection, move_paper, remove_from_collection, set_note
from paperfeed.db.ratings import clear_ratings
from paperfeed.db.users import User
from paperfeed.errors import InvalidInput
from paperfeed.library import MAX_COLLECTION_NAME
from paperfeed.web import api_models as api
from paperfeed.web import library
from paperfeed.web.deps import ConnDep, EngineDep, UserDep
from paperfeed.web.library import NoteField
from paperfeed.web.params import Page
from paperfeed.web.redirects import back_to
from paperfeed.web.render import JsonResponse, respond, wants_json

router = APIRouter()
LIBRARY = library.LIBRARY
LEARNED = "/library/learned"
CollectionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="One of your collections' ids.")]
SearchText = Annotated[str, Query(max_length=300, description="Words in a title, abstract, author or note.")]
CollectionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
NameField = Annotated[str, Form(max_length=MAX_COLLECTION_NAME * 2)]  # whitespace is collapsed before the rule
NextField = Annotated[str | None, Form(alias="next")]
CollectionChoice = Annotated[int, Form(ge=1, le=2**31 - 1, description="One of your collections' ids.")]
FromField = Annotated[int | None, BeforeValidator(lambda v: None if v == "" else v),
                      Form(alias="from", ge=1, le=2**31 - 1, description="The collection it leaves (a move).")]
SIGNED_OUT = {303: {"description": "Signed out: to the sign-in page (asked for JSON, a 401)."}}


def _docs(model: type) -> dict:
    return {"response_model": model, "responses": {303: {"description": "Back to the page the form was on, "
                                                                         "or to sign in."}}}


@router.get(LIBRARY, responses=SIGNED_OUT,
            summary="Your library: saved papers by collection, newest saved first (signed in)")
def library_index(request: Request, conn: ConnDep, user: UserDep, collection: CollectionQuery = None,
                  q: SearchText = "", page: Page = 1):
    if user is None:
        return library.to_sign_in(request, library.library_url(collection, q, page))
    return library.library_page_response(request, conn, user, collection, q.strip(), page)


def _refused(request: Request, engine: sa.Engine, user: User, exc: InvalidInput,
             collection_id: int | None) -> Response:
    """A form the rules refused: the library page again, saying why (JSON callers get the error)."""
    if wants_json(request):
        raise exc
    with engine.connect() as conn:
        return library.library_page_response(request, conn, user, collection_id, error=str(exc), status_code=400)


@router.post(LIBRARY + "/collections", **_docs(api.Collection), status_code=201,
             summary="Make a collection in your library (form or JSON)")
def new_collection(request: Request, engine: EngineDep, user: UserDep, name: NameField = ""):
    if user is None:
        return library.to_sign_in(request, LIBRARY)
    library.count(request, "library", user)
    try:
        with engine.begin() as conn:
            made = create_collection(conn, user.id, name)
    except InvalidInput as exc:
        return _refused(request, engine, user, exc, None)
    if wants_json(request):
        return JsonResponse(library.collection_model(made).model_dump(mode="json"), status_code=201)
    return RedirectResponse(library.library_url(made.id), status_code=303)


@router.post(LIBRARY + "/collections/{collection_id}/rename", **_docs(api.Collection),
             summary="Rename one of your collections (form or JSON)")
def rename(request: Request, engine: EngineDep, user: UserDep, collection_id: CollectionPath, name: NameField = ""):
    if user is None:
        return library.to_sign_in(request, LIBRARY)
    library.count(request, "library", user)
    try:
        with engine.begin() as conn:
            renamed = rename_collection(conn, user.id, collection_id, name)
    except InvalidInput as exc:
        return _refused(request, engine, user, exc, collection_id)
    if wants_json(request):
        return JsonResponse(library.collection_model(renamed).model_dump(mode="json"))
    return RedirectResponse(library.library_url(collection_id), status_code=303)


@router.post(LIBRARY + "/collections/{collection_id}/delete", **_docs(api.CollectionDeleted),
             summary="Delete one of your collections; its papers stay saved (form or JSON)")
def delete(request: Request, engine: EngineDep, user: UserDep, collection_id: CollectionPath):
    if user is None:
        return library.to_sign_in(request, LIBRARY)
    library.count(request, "library", user)
    with engine.begin() as conn:
        delete_collection(conn, user.id, collection_id)
    if wants_json(request):
        return JsonResponse(api.CollectionDeleted(deleted=collection_id).model_dump())
    return RedirectResponse(LIBRARY, status_code=303)


def _edit(request: Request, engine: sa.Engine, user: User | None, key: str, next_path: str | None,
          change) -> Response:
    back = back_to(request, next_path, LIBRARY)
    if user is None:
        return library.to_sign_in(request, back)
    library.count(request, "library", user)
    state = library.change_paper(engine, user, key, change)
    if wants_json(request):
        return JsonResponse(state.model_dump(mode="json"))
    return RedirectResponse(back, status_code=303)


@router.post(LIBRARY + "/papers/{key:path}/note", **_docs(api.LibraryState),
             summary="Change the private note of a saved paper (form or JSON)")
def note(request: Request, key: str, engine: EngineDep, user: UserDep, note: NoteField = None,
         next_: NextField = None):
    return _edit(request, engine, user, key, next_, lambda conn, user_id, paper_id: set_note(conn, user_id, paper_id,
                                                                                             note))


@router.post(LIBRARY + "/papers/{key:path}/move", **_docs(api.LibraryState),
             summary="Move (out of `from`, else out of every other) or copy a saved paper to a collection")
def move(request: Request, key: str, engine: EngineDep, user: UserDep,
         to: CollectionChoice, from_: FromField = None,
         mode: Annotated[Literal["move", "copy"], Form(description="copy keeps it where it is too.")] = "move",
         next_: NextField = None):
    def change(conn: sa.Connection, user_id: int, paper_id: int) -> None:
        if mode == "copy":
            add_to_collection(conn, user_id, paper_id, to)
        else:
            move_paper(conn, user_id, paper_id, to, from_)
    return _edit(request, engine, user, key, next_, change)


@router.post(LIBRARY + "/papers/{key:path}/uncollect", **_docs(api.LibraryState),
             summary="Take a saved paper out of one collection; it stays saved (form or JSON)")
def uncollect(request: Request, key: str, engine: EngineDep, user: UserDep, collection: CollectionChoice,
              next_: NextField = None):
    def change(conn: sa.Connection, user_id: int, paper_id: int) -> None:
        remove_from_collection(conn, user_id, paper_id, collection)
    return _edit(request, engine, user, key, next_, change)


@router.get(LEARNED, responses=SIGNED_OUT,
            summary="What your recommendations learn from: saves, upvotes, ratings (signed in)")
def learned(request: Request, conn: ConnDep, user: UserDep):
    if user is None:
        return library.to_sign_in(request, LEARNED)
    learned_from = library.learned_from(conn, user)
    return respond(request, "library/learned.html", {"learned": learned_from}, learned_from.model_dump(mode="json"),
                   headers=library.PRIVATE)


@router.post(LEARNED + "/clear-ratings", **_docs(api.RatingsCleared),
             summary='Forget all your "more / less like this" ratings (form or JSON)')
def clear_all_ratings(request: Request, engine: EngineDep, user: UserDep):
    if user is None:
        return library.to_sign_in(request, LEARNED)
    library.count(request, "rate", user)
    with engine.begin() as conn:
        cleared = clear_ratings(conn, user.id)
    if wants_json(request):
        return JsonResponse(api.RatingsCleared(cleared=cleared).model_dump())
    return RedirectResponse(LEARNED, status_code=303)
