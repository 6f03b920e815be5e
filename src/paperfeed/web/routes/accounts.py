"""Sign up, sign in and sign out. A form with errors comes back with the entered email (never the
password) and each error tied to its field; success starts a new session and redirects (303)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from paperfeed.db.users import User, normalize_email
from paperfeed.web.accounts import FormInvalid
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.redirects import safe_next
from paperfeed.web.render import JsonResponse, respond, wants_json
from paperfeed.web.session_middleware import begin_session, end_session

router = APIRouter()

# Why a visitor was sent to sign in: a fixed set, so no page shows text taken from the URL.
REASONS = {
    "vote": "Sign in to upvote papers.",
    "submit": "Sign in to submit a paper to the daily feed.",
}
TextField = Annotated[str, Form()]
NextField = Annotated[str, Form(alias="next")]
NextQuery = Annotated[str | None, Query(alias="next")]


def user_json(user: User | None) -> dict[str, Any] | None:
    return {"id": user.id, "email": user.email, "username": user.username} if user else None


def session_json(request: Request) -> dict[str, Any]:
    """The visitor and the CSRF token of their (possibly new) session, for scripts."""
    return {"user": user_json(request.state.user), "csrf_token": request.state.csrf_token}


def _form_page(request: Request, template: str, *, values: dict[str, str], errors: dict[str, str] | None = None,
               next_path: str = "/", reason: str | None = None, status_code: int = 200) -> Response:
    context = {"values": values, "errors": errors or {}, "next": next_path, "reason": reason}
    body = {**session_json(request), "errors": errors or {}}
    return respond(request, template, context, body, status_code=status_code)


def _signed_in(request: Request, user: User, next_path: str, *, created: bool = False) -> Response:
    begin_session(request, user)
    if wants_json(request):
        return JsonResponse(session_json(request), status_code=201 if created else 200)
    return RedirectResponse(next_path, status_code=303)


@router.get("/sign-up", summary="The sign-up form")
def sign_up_page(request: Request, next_: NextQuery = None):
    return _form_page(request, "account/sign_up.html", values={}, next_path=safe_next(next_))


@router.post("/sign-up", summary="Create an account and sign in")
async def sign_up(request: Request, email: TextField = "", password: TextField = "", username: TextField = "",
                  next_: NextField = "/"):
    next_path = safe_next(next_)
    request.app.state.rate_limiter.hit("sign-up", ip=client_address(request))
    try:
        user = await run_in_threadpool(request.app.state.accounts.sign_up, email, username, password)
    except FormInvalid as exc:
        if wants_json(request):
            raise
        return _form_page(request, "account/sign_up.html", values={"email": email, "username": username},
                          errors=exc.errors, next_path=next_path, status_code=400)
    return _signed_in(request, user, next_path, created=True)


@router.get("/sign-in", summary="The sign-in form")
def sign_in_page(request: Request, next_: NextQuery = None, why: str | None = None):
    return _form_page(request, "account/sign_in.html", values={}, next_path=safe_next(next_),
                      reason=REASONS.get(why or ""))


@router.post("/sign-in", summary="Sign in with email and password")
async def sign_in(request: Request, email: TextField = "", password: TextField = "",
                  next_: NextField = "/"):
    next_path = safe_next(next_)
    # Counted before the password is checked: argon2 is slow on purpose, and guessing must be too.
    request.app.state.rate_limiter.hit("sign-in", ip=client_address(request), account=normalize_email(email))
    try:
        user = await run_in_threadpool(request.app.state.accounts.sign_in, email, password)
    except FormInvalid as exc:
        if wants_json(request):
            raise
        return _form_page(request, "account/sign_in.html", values={"email": email}, errors=exc.errors,
                          next_path=next_path, status_code=400)
    return _signed_in(request, user, next_path)


@router.post("/sign-out", summary="Sign out (ends the session)")
def sign_out(request: Request, next_: NextField = "/"):
    end_session(request)
    if wants_json(request):
        return JsonResponse(session_json(request))
    return RedirectResponse(safe_next(next_), status_code=303)
