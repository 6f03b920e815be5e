"""The library's buttons on every paper card and paper page: Save / unsave (POST /papers/{key}/save and
/unsave, optionally into a collection with a note) and the private "more like this" / "less like this"
(POST /papers/{key}/rating with rating=more, less or none). They work as votes do (routes/votes.py):
a form post is redirected (303) back to the page it came from, a JSON caller (Accept, as app.js sends
it with X-CSRF-Token) gets the paper's api_models.LibraryState; signed out, 401 for JSON, otherwise
the sign-in page. Scripts use the same changes under /api/ (routes/api_library.py).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from paperfeed.db.library import save_paper, unsave_paper
from paperfeed.db.users import User
from paperfeed.web import library
from paperfeed.web.api_models import LibraryState
from paperfeed.web.cards import paper_path
from paperfeed.web.deps import EngineDep, UserDep
from paperfeed.web.library import CollectionField, NoteField
from paperfeed.web.redirects import back_to
from paperfeed.web.render import JsonResponse, wants_json

router = APIRouter()
NextField = Annotated[str | None, Form(alias="next")]
RatingField = Annotated[Literal["more", "less", "none"], Form(description="none forgets the rating.")]
FORM_DOCS = {"response_model": LibraryState, "responses": {303: {"description": "Back to the page the form was "
                                                                                "on, or to sign in."}}}


def _answer(request: Request, engine: sa.Engine, user: User | None, key: str, next_path: str | None, action: str,
            change) -> Response:
    back = back_to(request, next_path, paper_path(key))
    if user is None:
        if wants_json(request):
            raise HTTPException(401, library.SIGN_IN_TO_RATE if action == "rate" else library.SIGN_IN_TO_SAVE)
        return RedirectResponse("/sign-in?" + urlencode({"next": back, "why": "library"}), status_code=303)
    library.count(request, action, user)
    state = library.change_paper(engine, user, key, change)
    if wants_json(request):
        return JsonResponse(state.model_dump(mode="json"))
    return RedirectResponse(back, status_code=303)


@router.post("/papers/{key:path}/save", **FORM_DOCS, summary="Save a paper to your library (form or JSON)")
def save(request: Request, key: str, engine: EngineDep, user: UserDep, collection: CollectionField = None,
         note: NoteField = None, next_: NextField = None):
    def change(conn, user_id, paper_id):
        save_paper(conn, user_id, paper_id, note=note, collection_ids=[collection] if collection else [])
    return _answer(request, engine, user, key, next_, "library", change)


@router.post("/papers/{key:path}/unsave", **FORM_DOCS, summary="Remove a paper from your library (form or JSON)")
def unsave(request: Request, key: str, engine: EngineDep, user: UserDep, next_: NextField = None):
    return _answer(request, engine, user, key, next_, "library", unsave_paper)


@router.post("/papers/{key:path}/rating", **FORM_DOCS,
             summary='Rate a paper "more like this" or "less like this", privately, or forget the rating')
def rate(request: Request, key: str, engine: EngineDep, user: UserDep, rating: RatingField,
         next_: NextField = None):
    return _answer(request, engine, user, key, next_, "rate", library.rating_change(rating))
