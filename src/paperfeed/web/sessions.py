"""Who is asking, and may they change things: the session cookie, the CSRF token bound to it, and the
middleware that reads either the cookie or a script's API token on every request.

The cookie is the whole session (no server-side store): the signature keyed by the secret key makes it
tamper-proof and the timestamp inside it makes it expire (itsdangerous). Every visitor's session has a
random nonce, the seed of its CSRF token; signing in or out starts a session with a new one.

CSRF: every POST, PUT, PATCH and DELETE must carry the token of the visitor's session. The token is an
HMAC of the session's nonce under the secret key, so it is bound to one session, changes when the
visitor signs in or out, and cannot be made without the key. Pages put it in their forms (field
`csrf_token`); the site's own scripts send it in the `X-CSRF-Token` header. A request from another site
can carry the visitor's cookie (SameSite=Lax permits some) but cannot read the page, so it cannot carry
the token.

SessionMiddleware sets request.state.session, .user (None or a db.users.User), .csrf_token and
.api_token (the db.api_tokens.ApiToken of a script's request, else None) before any route or error page
runs. Routes sign a visitor in or out with `begin_session` / `end_session`; the middleware then sends
the new cookie with whatever response the route returns. A visitor without a session gets one (for the
CSRF token of the forms on the page), but the cookie is sent only with HTML pages: feeds and JSON are
served without setting cookies.

A script sends `Authorization: Bearer pf_...` instead: the request is then that token's reader's, needs
no CSRF token (a browser never attaches that header by itself, so another site cannot make one) and
never gets a cookie. A token that was revoked or never issued is a 401, never an anonymous request;
other schemes (Basic from a proxy in front) are left alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.db.api_tokens import ApiToken, find_token_user
from paperfeed.db.users import User, get_user
from paperfeed.errors import Forbidden
from paperfeed.web.errors import error_response
from paperfeed.web.ratelimit import RateLimited
from paperfeed.web.render import has_form_body

COOKIE_NAME = "paperfeed_session"
MAX_AGE = timedelta(days=14)  # a session unused this long expires
RENEW_AFTER = timedelta(days=1)  # a session in use is re-issued this often, so it expires only when idle
_SALT = "paperfeed.session"  # keeps these signatures apart from anything else signed with the same key

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
FAILED = (
    "CSRF check failed: the request did not carry this session's security token. "
    "Reload the page and try again (cookies must be enabled)."
)

_SWITCH = "paperfeed.switch_session"  # request.state entry: how begin_session and end_session reach us
INVALID_TOKEN = ("This API token is not valid: it was revoked, or it is not a token of this site. "
                 "Create one on /account/tokens and send it as 'Authorization: Bearer pf_...'.")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="paperfeed", error="invalid_token"'}


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int | None = None
    nonce: str = field(default_factory=new_nonce)


class SessionCodec:
    """Turns a Session into a cookie value and back; a forged, altered or expired value reads as None."""

    def __init__(self, secret_key: str, max_age: timedelta = MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self.max_age = max_age

    def dump(self, session: Session) -> str:
        payload: dict = {"n": session.nonce}
        if session.user_id is not None:
            payload["u"] = session.user_id
        return self._serializer.dumps(payload)

    def load(self, value: str) -> tuple[Session, float] | None:
        """The session and its age in seconds."""
        try:
            payload, signed_at = self._serializer.loads(
                value, max_age=self.max_age.total_seconds(), return_timestamp=True
            )
        except BadSignature:  # also SignatureExpired, its subclass
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
            return None
        user_id = payload.get("u")
        if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
            return None
        age = max(0.0, time.time() - signed_at.timestamp())
        return Session(user_id, payload["n"]), age


def set_cookie_header(value: str, *, secure: bool, max_age: timedelta = MAX_AGE) -> str:
    """The Set-Cookie value: HttpOnly (no script can read it), SameSite=Lax (not sent with
    cross-site POSTs), Secure when the site is served over https."""
    attributes = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={int(max_age.total_seconds())}", "HttpOnly",
                  "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def csrf_token(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_matches(expected: str | None, given: object) -> bool:
    """Compared in constant time, so response timing gives nothing away about the token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def require_csrf(request: Request) -> None:
    """App-wide dependency: a state-changing request without the session's token is refused (403)."""
    if request.method not in UNSAFE_METHODS or getattr(request.state, "api_token", None) is not None:
        return
    given: object = request.headers.get(HEADER)
    if given is None and has_form_body(request):
        given = (await request.form()).get(FORM_FIELD)  # Starlette keeps the parsed form for the route
    if not token_matches(getattr(request.state, "csrf_token", None), given):
        raise Forbidden(FAILED)


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
        if (bearer := bearer_token(scope)) is not None:
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


def bearer_token(scope: Scope) -> str | None:
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
