"""Sign up, sign in and sign out, and a reader's API tokens (/account/tokens).

A form with errors comes back with the entered email (never the password) and each error tied to
its field; success starts a new session and redirects (303). A new API token is shown once, on the
page (or in the JSON) that answers its creation; the list shows names and dates, never a token.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from paperfeed.db.api_tokens import ApiToken, create_token, list_tokens, revoke_token
from paperfeed.db.users import User
from paperfeed.emails import email_key
from paperfeed.errors import Forbidden, InvalidInput, NotFound
from paperfeed.web import api_models
from paperfeed.web.accounts import FormInvalid
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.deps import EngineDep, UserDep
from paperfeed.web.redirects import safe_next
from paperfeed.web.render import JsonResponse, respond, wants_json
from paperfeed.web.sessions import begin_session, end_session

router = APIRouter()

# Why a visitor was sent to sign in: a fixed set, so no page shows text taken from the URL.
REASONS = {
    "vote": "Sign in to upvote papers.",
    "submit": "Sign in to submit a paper to the daily feed.",
    "tokens": "Sign in to manage your API tokens.",
    "library": "Sign in to save papers to your library and rate them.",
}
TOKENS_PATH = "/account/tokens"
NOT_WITH_A_TOKEN = "API tokens are created by a signed-in reader on /account/tokens, not with another API token."
TextField = Annotated[str, Form()]
NextField = Annotated[str, Form(alias="next")]
NextQuery = Annotated[str | None, Query(alias="next")]
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # a 32-bit column: a larger id is a 422, not a database error


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
    request.app.state.rate_limiter.hit("sign-in", ip=client_address(request), account=email_key(email))
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


def _token_model(token: ApiToken) -> api_models.ApiToken:
    return api_models.ApiToken(id=token.id, name=token.name, created_at=token.created_at,
                               last_used_at=token.last_used_at)


def _json_or_page(model: type, redirect: str, status: int = 200) -> dict[str, Any]:
    """The docs of a route that answers `model` as JSON (asked for by .json or Accept), else a page or a
    redirect (303) to `redirect`; its errors are pages, or api_models' JSON error."""
    return {"response_model": model, "status_code": status, "responses": {
        status: {"content": {"text/html": {"schema": {"type": "string"}}}},
        303: {"description": f"A browser is sent to {redirect}."},
    }}


def _sign_in_for_tokens(request: Request) -> Response:
    if wants_json(request):
        raise HTTPException(401, REASONS["tokens"], headers={"WWW-Authenticate": 'Bearer realm="paperfeed"'})
    return RedirectResponse("/sign-in?" + urlencode({"next": TOKENS_PATH, "why": "tokens"}), status_code=303)


def _tokens_page(request: Request, engine: sa.Engine, user: User, *, created: tuple[ApiToken, str] | None = None,
                 values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    with engine.connect() as conn:
        tokens = list_tokens(conn, user.id)
    context = {"tokens": tokens, "created": created, "values": values or {}, "errors": errors or {}}
    body = api_models.ApiTokens(tokens=[_token_model(token) for token in tokens])
    headers = {}
    if created:  # the only time the token is shown: kept out of every cache
        body.created = api_models.NewApiToken(**_token_model(created[0]).model_dump(), token=created[1])
        headers["Cache-Control"] = "no-store"
    return respond(request, "account/tokens.html", context, body.model_dump(mode="json"), status_code=status_code,
                   headers=headers)


@router.get(TOKENS_PATH, **_json_or_page(api_models.ApiTokens, "sign in"),
            summary="Your API tokens (names and dates; a token is shown only when created)")
def tokens_page(request: Request, engine: EngineDep, user: UserDep):
    if user is None:
        return _sign_in_for_tokens(request)
    return _tokens_page(request, engine, user)


@router.post(TOKENS_PATH, **_json_or_page(api_models.ApiTokens, "sign in", status=201),
             summary="Create an API token (signed in); the answer shows it, once")
def new_token(request: Request, engine: EngineDep, user: UserDep, name: TextField = ""):
    if user is None:
        return _sign_in_for_tokens(request)
    if request.state.api_token is not None:  # a leaked token must not be able to mint its successors
        raise Forbidden(NOT_WITH_A_TOKEN)
    request.app.state.rate_limiter.hit("create-token", ip=client_address(request), account=str(user.id))
    try:
        with engine.begin() as conn:
            created = create_token(conn, user.id, name)
    except InvalidInput as exc:
        if wants_json(request):
            raise FormInvalid({"name": str(exc)}) from None
        return _tokens_page(request, engine, user, values={"name": name}, errors={"name": str(exc)},
                            status_code=400)
    return _tokens_page(request, engine, user, created=created, status_code=201)


def _revoke(request: Request, engine: sa.Engine, user: User | None, token_id: int) -> Response:
    if user is None:
        return _sign_in_for_tokens(request)
    with engine.begin() as conn:
        if not revoke_token(conn, user.id, token_id):  # another reader's token is "none of yours" too
            raise NotFound(f"You have no API token with id {token_id}.")
    if wants_json(request):
        return JsonResponse(api_models.TokenRevoked(revoked=token_id).model_dump())
    return RedirectResponse(TOKENS_PATH, status_code=303)


@router.post(TOKENS_PATH + "/{token_id}/revoke", **_json_or_page(api_models.TokenRevoked, "the token list"),
             summary="Revoke one of your API tokens (form or JSON)")
def revoke_by_form(request: Request, engine: EngineDep, user: UserDep, token_id: TokenId):
    return _revoke(request, engine, user, token_id)


@router.delete(TOKENS_PATH + "/{token_id}", **_json_or_page(api_models.TokenRevoked, "the token list"),
               summary="Revoke one of your API tokens")
def revoke(request: Request, engine: EngineDep, user: UserDep, token_id: TokenId):
    return _revoke(request, engine, user, token_id)
