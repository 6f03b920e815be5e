"""Upvote and un-vote: the forms on paper cards post to /papers/{key}/vote and /unvote; scripts use
POST and DELETE /api/papers/{id}/vote. One vote per user per paper; only POST or DELETE changes anything.

JSON callers get `{"paper": key, "upvotes": n, "voted": bool}` (api_models.Vote); a form post is redirected (303) back
to the page it came from. Signed out: 401 for JSON, otherwise a redirect to the sign-in page.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from paperfeed.db.papers import get_paper
from paperfeed.db.users import User
from paperfeed.db.votes import cast_vote, retract_vote, upvote_counts
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.api_models import API_ERRORS, Vote
from paperfeed.web.cards import paper_path
from paperfeed.web.deps import EngineDep, UserDep
from paperfeed.web.redirects import back_to
from paperfeed.web.render import JsonResponse, wants_json

router = APIRouter()
NextField = Annotated[str | None, Form(alias="next")]
SIGN_IN_TO_VOTE = "Sign in to vote."


def set_vote(engine: sa.Engine, user: User, key: str, voted: bool) -> Vote:
    """Vote or un-vote (both idempotent) and read the new count in the same transaction."""
    with engine.begin() as conn:
        paper = get_paper(conn, key)
        if voted:
            cast_vote(conn, user.id, paper.id)
        else:
            retract_vote(conn, user.id, paper.id)
        upvotes = upvote_counts(conn, [paper.id])[paper.id]
    return Vote(paper=paper.key, upvotes=upvotes, voted=voted)


def _vote_form(request: Request, engine: sa.Engine, user: User | None, key: str, next_path: str | None,
               voted: bool) -> Response:
    back = back_to(request, next_path, paper_path(key))
    if user is None:
        if wants_json(request):
            raise HTTPException(401, SIGN_IN_TO_VOTE)
        return RedirectResponse("/sign-in?" + urlencode({"next": back, "why": "vote"}), status_code=303)
    request.app.state.rate_limiter.hit("vote", ip=client_address(request), account=str(user.id))
    result = set_vote(engine, user, key, voted)
    if wants_json(request):
        return JsonResponse(result.model_dump())
    return RedirectResponse(back, status_code=303)


# The forms' routes answer JSON when asked (Accept), else send the browser back to its page.
FORM_DOCS = {"response_model": Vote, "responses": {303: {"description": "Back to the page the form was on, "
                                                                         "or to sign in."}}}
API_DOCS = {"response_model": Vote, "responses": API_ERRORS}


@router.post("/papers/{key:path}/vote", **FORM_DOCS, summary="Upvote a paper (form or JSON)")
def vote(request: Request, key: str, engine: EngineDep, user: UserDep, next_: NextField = None):
    return _vote_form(request, engine, user, key, next_, voted=True)


@router.post("/papers/{key:path}/unvote", **FORM_DOCS, summary="Take back an upvote (form or JSON)")
def unvote(request: Request, key: str, engine: EngineDep, user: UserDep, next_: NextField = None):
    return _vote_form(request, engine, user, key, next_, voted=False)


def _api_vote(request: Request, engine: sa.Engine, user: User | None, paper_id: str, voted: bool) -> Response:
    if user is None:
        raise HTTPException(401, SIGN_IN_TO_VOTE)
    request.app.state.rate_limiter.hit("vote", ip=client_address(request), account=str(user.id))
    return JsonResponse(set_vote(engine, user, paper_id, voted).model_dump())


@router.post("/api/papers/{paper_id:path}/vote", **API_DOCS,
             summary="Upvote a paper (an API token, or signed in with X-CSRF-Token)")
def api_vote(request: Request, paper_id: str, engine: EngineDep, user: UserDep):
    return _api_vote(request, engine, user, paper_id, voted=True)


@router.delete("/api/papers/{paper_id:path}/vote", **API_DOCS,
               summary="Take back an upvote (an API token, or signed in with X-CSRF-Token)")
def api_unvote(request: Request, paper_id: str, engine: EngineDep, user: UserDep):
    return _api_vote(request, engine, user, paper_id, voted=False)
