"""Submit a paper to today's feed by arXiv id (signed-in users): GET shows the form, POST submits.

The paper comes from the store or, when new, from the arXiv API (paperfeed.submissions). A form
post is redirected (303) back to the form, which then says what happened; JSON callers get
`{"paper": key, "day": ..., "added": bool, "fetched": bool, "url": ...}` (201 when added).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from paperfeed.db.papers import get_paper
from paperfeed.errors import NotFound, PaperfeedError
from paperfeed.submissions import submit_paper
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.cards import paper_path
from paperfeed.web.deps import ConnDep, EngineDep, UserDep
from paperfeed.web.render import JsonResponse, respond, wants_json

router = APIRouter()
SIGN_IN_TO_SUBMIT = "Sign in to submit a paper."
OUTCOMES = {"added": "is on today's feed now.", "listed": "was on today's feed already."}


@router.get("/submit", summary="The form to submit a paper to today's feed")
def submit_page(request: Request, conn: ConnDep, user: UserDep,
                outcome: Annotated[str | None, Query(pattern="^(added|listed)$")] = None,
                key: str | None = None):
    if user is None and not wants_json(request):
        return RedirectResponse("/sign-in?" + urlencode({"next": "/submit", "why": "submit"}), status_code=303)
    done = None
    if outcome and key:
        try:
            done = {"paper": get_paper(conn, key), "message": OUTCOMES[outcome]}
        except NotFound:
            done = None
    return respond(request, "account/submit.html", {"values": {}, "errors": {}, "done": done},
                   {"signed_in": user is not None})


@router.post("/submit", summary="Submit a paper to today's feed by arXiv id")
async def submit(request: Request, engine: EngineDep, user: UserDep, arxiv_id: Annotated[str, Form()] = ""):
    if user is None:
        if wants_json(request):
            raise HTTPException(401, SIGN_IN_TO_SUBMIT)
        return RedirectResponse("/sign-in?" + urlencode({"next": "/submit", "why": "submit"}), status_code=303)
    request.app.state.rate_limiter.hit("submit", ip=client_address(request), account=str(user.id))
    today = datetime.now(UTC).date()
    try:
        done = await run_in_threadpool(submit_paper, engine, user, arxiv_id, request.app.state.arxiv_lookup, today)
    except PaperfeedError as exc:
        if wants_json(request):
            raise
        return respond(request, "account/submit.html",
                       {"values": {"arxiv_id": arxiv_id}, "errors": {"arxiv_id": str(exc)}, "done": None},
                       {}, status_code=exc.status_code)
    if wants_json(request):
        body = {"paper": done.paper.key, "day": done.day.isoformat(), "added": done.added, "fetched": done.fetched,
                "url": paper_path(done.paper.key)}
        return JsonResponse(body, status_code=201 if done.added else 200)
    query = urlencode({"outcome": "added" if done.added else "listed", "key": done.paper.key})
    return RedirectResponse(f"/submit?{query}", status_code=303)
