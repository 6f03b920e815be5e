"""The library and ratings for scripts, under /api/: a reader's saved papers (list, save, remove, note,
collections), their collections, their private ratings and what their model learns from. The same
auth as votes: an API token (`Authorization: Bearer pf_...`), or a signed-in session with
X-CSRF-Token; signed out, 401. Changes count against the same allowances as the pages' buttons
(web/ratelimit.py: library, rate). Everything is the reader's own: another reader's collection id is a
404, as for one that never existed. Import and export are routes/library_files.py's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from paperfeed.db.collections import create_collection, delete_collection, list_collections, rename_collection
from paperfeed.db.library import library_page, save_paper, set_collections, set_note, unsave_paper
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.ratings import clear_rating, clear_ratings
from paperfeed.web import api_models as api
from paperfeed.web import library
from paperfeed.web.cards import load_cards
from paperfeed.web.deps import ConnDep, EngineDep, UserDep
from paperfeed.web.links import paged_json
from paperfeed.web.params import ApiPage, Limit, PaperId
from paperfeed.web.render import JsonResponse

router = APIRouter(prefix="/api", tags=["library"], responses=api.API_ERRORS)
CollectionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only this collection's papers.")]
CollectionPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
SearchText = Annotated[str, Query(max_length=300, description="Words in a title, abstract, author or note.")]
_PAGE_HEADERS = {
    "Link": {"description": 'The next page, as <url>; rel="next", while more follow.', "schema": {"type": "string"}},
    "X-Total-Count": {"description": "How many saved papers match.", "schema": {"type": "integer"}},
}


def _state(response: api.LibraryState) -> Response:
    return JsonResponse(response.model_dump(mode="json"))


@router.get("/library", response_model=list[api.LibraryItem], responses={200: {"headers": _PAGE_HEADERS}},
            summary="Your saved papers, newest saved first (all, or one collection's; `q` searches them)")
def list_library(request: Request, conn: ConnDep, user: UserDep, collection: CollectionQuery = None,
                 q: SearchText = "", p: ApiPage = 0, limit: Limit = 50):
    reader = library.signed_in(user)
    result = library_page(conn, reader.id, collection_id=collection, text=q.strip(), offset=p * limit, limit=limit)
    found = papers_by_ids(conn, [item.paper_id for item in result.items])
    saved = [item for item in result.items if item.paper_id in found]
    cards = load_cards(conn, [found[item.paper_id] for item in saved], reader)
    items = library.library_items(cards, saved, list_collections(conn, reader.id))
    return paged_json(request, [item.model_dump(mode="json") for item in items],
                      more=result.total > (p + 1) * limit, p=p, total=result.total)


@router.post("/library", response_model=api.LibraryState,
             summary="Save a paper to your library, into collections and with a note")
def save(request: Request, body: api.SaveIn, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)

    def change(conn, user_id, paper_id):
        save_paper(conn, user_id, paper_id, note=body.note, collection_ids=body.collections)
    return _state(library.change_paper(engine, reader, body.paper, change))


@router.delete("/library/papers/{paper_id:path}", response_model=api.LibraryState,
               summary="Remove a paper from your library (and from its collections)")
def unsave(request: Request, paper_id: PaperId, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    return _state(library.change_paper(engine, reader, paper_id, unsave_paper))


@router.put("/library/papers/{paper_id:path}/note", response_model=api.LibraryState,
            summary="Replace the private note of a saved paper (empty clears it)")
def put_note(request: Request, paper_id: PaperId, body: api.NoteIn, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    return _state(library.change_paper(
        engine, reader, paper_id, lambda conn, user_id, paper: set_note(conn, user_id, paper, body.note)))


@router.put("/library/papers/{paper_id:path}/collections", response_model=api.LibraryState,
            summary="Put a saved paper in exactly these collections (a move, a copy, or out of all)")
def put_collections(request: Request, paper_id: PaperId, body: api.CollectionsIn, engine: EngineDep,
                    user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    return _state(library.change_paper(
        engine, reader, paper_id, lambda conn, user_id, paper: set_collections(conn, user_id, paper, body.collections)))


@router.get("/library/collections", response_model=list[api.Collection],
            summary="Your collections, in the order you made them, with their numbers of papers")
def collections(conn: ConnDep, user: UserDep):
    reader = library.signed_in(user)
    return JsonResponse([library.collection_model(c).model_dump(mode="json")
                         for c in list_collections(conn, reader.id)])


@router.post("/library/collections", response_model=api.Collection, status_code=201,
             summary="Make a collection (names are unique per reader, in any case)")
def new_collection(request: Request, body: api.CollectionIn, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    with engine.begin() as conn:
        made = create_collection(conn, reader.id, body.name)
    return JsonResponse(library.collection_model(made).model_dump(mode="json"), status_code=201)


@router.patch("/library/collections/{collection_id}", response_model=api.Collection,
              summary="Rename one of your collections")
def rename(request: Request, collection_id: CollectionPath, body: api.CollectionIn, engine: EngineDep,
           user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    with engine.begin() as conn:
        renamed = rename_collection(conn, reader.id, collection_id, body.name)
    return JsonResponse(library.collection_model(renamed).model_dump(mode="json"))


@router.delete("/library/collections/{collection_id}", response_model=api.CollectionDeleted,
               summary="Delete one of your collections; its papers stay saved")
def delete(request: Request, collection_id: CollectionPath, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user)
    library.count(request, "library", reader)
    with engine.begin() as conn:
        delete_collection(conn, reader.id, collection_id)
    return JsonResponse(api.CollectionDeleted(deleted=collection_id).model_dump())


@router.get("/library/learned", response_model=api.LearnedFrom,
            summary="What your recommendations learn from: saves, upvotes and ratings, with when")
def learned(conn: ConnDep, user: UserDep, collection: CollectionQuery = None):
    reader = library.signed_in(user)
    return JsonResponse(library.learned_from(conn, reader, collection).model_dump(mode="json"))


@router.post("/papers/{paper_id:path}/rating", response_model=api.LibraryState,
             summary='Rate a paper "more like this" or "less like this" (private, apart from the upvote)')
def rate(request: Request, paper_id: PaperId, body: api.RatingIn, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user, library.SIGN_IN_TO_RATE)
    library.count(request, "rate", reader)
    return _state(library.change_paper(engine, reader, paper_id, library.rating_change(body.rating)))


@router.delete("/papers/{paper_id:path}/rating", response_model=api.LibraryState,
               summary="Forget your rating of a paper")
def unrate(request: Request, paper_id: PaperId, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user, library.SIGN_IN_TO_RATE)
    library.count(request, "rate", reader)
    return _state(library.change_paper(engine, reader, paper_id, clear_rating))


@router.delete("/ratings", response_model=api.RatingsCleared, summary="Forget all your ratings")
def forget_ratings(request: Request, engine: EngineDep, user: UserDep):
    reader = library.signed_in(user, library.SIGN_IN_TO_RATE)
    library.count(request, "rate", reader)
    with engine.begin() as conn:
        cleared = clear_ratings(conn, reader.id)
    return JsonResponse(api.RatingsCleared(cleared=cleared).model_dump())
