"""Who is asking: the middleware that reads the session cookie (or an API token) on every request.

It sets request.state.session, .user (None or a db.users.User), .csrf_token and .api_token (the
db.api_tokens.ApiToken of a script's request, else None) before any route or error page runs.
Routes sign a visitor in or out with `begin_session` / `end_session`; the middleware
then sends the new cookie with whatever response the route returns.

A visitor without a session gets one (for the CSRF token of the forms on the page), but the cookie
is sent only with HTML pages: feeds and JSON are served without setting cookies.

A script sends `Authorization: Bearer pf_...` instead: the request is then that token's reader's,
needs no CSRF token (csrf.py) and never gets a cookie. A token that was revoked or never issued is a
401, never an anonymous request; other schemes (Basic from a proxy in front) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.db.api_tokens import ApiToken, find_token_user
from paperfeed.db.users import User, get_user
from paperfeed.web.csrf import csrf_token
from paperfeed.web.errors import error_response
from paperfeed.web.ratelimit import RateLimited
from paperfeed.web.sessions import COOKIE_NAME, RENEW_AFTER, Session, SessionCodec, set_cookie_header

_SWITCH = "paperfeed.switch_session"  # request.state entry: how begin_session and end_session reach us
INVALID_TOKEN = ("This API token is not valid: it was revoked, or it is not a token of this site. "
                 "Create one on /account/tokens and send it as 'Authorization: Bearer pf_...'.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="paperfeed", error="invalid_token"'}


class SessionMiddleware:
    def __init__(self, app: ASGIApp, secret_key: str, *, https_site: bool = False) -> None:
        """`https_site`: the site's base URL is https, so cookies are always marked Secure."""
        self.app = app
        self.secret_key = secret_key
        self.codec = SessionCodec(secret_key)
        self.https_site = https_site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):  # no user lookup per asset
            await self.app(scope, receive, send)
            return
        if (bearer := _bearer(scope)) is not None:
            await self._as_token_holder(scope, receive, send, bearer)
            return
        value = _cookie(scope)
        loaded = self.codec.load(value) if value else None
        from_cookie = loaded[0] if loaded else None
        session, user = from_cookie or Session(), None
        if session.user_id is not None:
            user = await run_in_threadpool(_find_user, scope["app"].state.engine, session.user_id)
            if user is None:  # the account is gone: carry on signed out
                session = Session()
        state = scope.setdefault("state", {})
        state["api_token"] = None
        self._switcher(state)(session, user)
        renew = loaded is not None and loaded[1] > RENEW_AFTER.total_seconds()
        # uvicorn sets the scheme from X-Forwarded-Proto when the proxy is trusted (--forwarded-allow-ips).
        secure = self.https_site or scope.get("scheme") == "https"

        def needs_cookie(current: Session, is_page: bool) -> bool:
            if from_cookie is None:  # a new visitor: a cookie with the page, or when a route began a session
                return is_page or current is not session
            return current is not from_cookie or renew

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                current = state["session"]  # a route may have begun or ended a session
                if needs_cookie(current, headers.get("content-type", "").startswith("text/html")):
                    headers.append("Set-Cookie", set_cookie_header(self.codec.dump(current), secure=secure))
                headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _as_token_holder(self, scope: Scope, receive: Receive, send: Send, secret: str) -> None:
        """A script's request: its token's reader, counted against their API allowance; no cookie either way."""
        app_state = scope["app"].state
        found = await run_in_threadpool(_find_token_user, app_state.engine, secret)
        if found is None:
            await error_response(Request(scope), 401, INVALID_TOKEN, headers=_CHALLENGE)(scope, receive, send)
            return
        user, token = found
        try:
            app_state.rate_limiter.hit("api-request", account=str(user.id))
        except RateLimited as exc:
            await error_response(Request(scope), 429, exc.detail, headers=exc.headers)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["api_token"] = token
        self._switcher(state)(Session(user.id), user)  # a session for this request only: no cookie is sent
        await self.app(scope, receive, send)

    def _switcher(self, state: dict) -> Callable[[Session, User | None], None]:
        """Sets who is asking on request.state, now and whenever a route begins or ends a session."""

        def switch(new_session: Session, new_user: User | None) -> None:
            state["session"], state["user"] = new_session, new_user
            state["csrf_token"] = csrf_token(self.secret_key, new_session.nonce)

        state[_SWITCH] = switch
        return switch


def begin_session(request: Request, user: User) -> None:
    """Sign `user` in: a new session with a new nonce, so a token seen before sign-in is worthless."""
    request.scope["state"][_SWITCH](Session(user.id), user)


def end_session(request: Request) -> None:
    """Sign out: a fresh anonymous session replaces the signed-in one."""
    request.scope["state"][_SWITCH](Session(), None)


def _bearer(scope: Scope) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header ("" when empty); None without one."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
            return credentials.strip() if scheme.lower() == "bearer" else None
    return None


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie" and (found := cookie_parser(value.decode("latin-1")).get(COOKIE_NAME)):
            return found
    return None


def _find_token_user(engine: sa.Engine, secret: str) -> tuple[User, ApiToken] | None:
    with engine.begin() as conn:  # a transaction: the lookup also records when the token was last used
        return find_token_user(conn, secret)


def _find_user(engine: sa.Engine, user_id: int) -> User | None:
    with engine.connect() as conn:
        return get_user(conn, user_id)
