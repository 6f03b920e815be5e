"""The ASGI middleware every request passes through, and `install_middleware`, the one place that
states their order and why.

Outermost first:
  1. ConcurrencyLimitMiddleware: at most `web_concurrency` requests in progress per worker.
  2. SecurityHeadersMiddleware: headers that limit what a browser lets any page do.
  3. JsonSuffixMiddleware: `/anything.json` is routed as `/anything`, marked for JSON.
  4. sessions.SessionMiddleware: who is asking (session cookie or API token), before any route runs.

The session middleware lives with the sessions and CSRF tokens it reads (sessions.py); the NUL-byte
check is no middleware but an app-wide dependency (nul_bytes.py), since it reads the parsed form
Starlette keeps for the route and its 400 is rendered by the app's error handlers like any other.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.config import Settings
from paperfeed.web.render import JSON_SUFFIX
from paperfeed.web.sessions import SessionMiddleware

_NO_SUFFIX_PREFIXES = ("/static/", "/api/", "/feeds/", "/openapi.json", "/docs")


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Wrap `app` in its middleware, in the order of the module's docstring:

    - the concurrency limit is outermost, so a waiting request holds nothing yet (the session
      middleware takes a database connection to look up the user);
    - security headers come next, so every answer inside carries them, the session middleware's
      401 and 429 included;
    - the `.json` suffix is stripped before the session middleware, whose error answers are JSON
      for a `.json` path like every other.
    """
    outermost_first = [
        (ConcurrencyLimitMiddleware, {"limit": settings.web_concurrency}),
        (SecurityHeadersMiddleware, {}),
        (JsonSuffixMiddleware, {}),
        (SessionMiddleware, {"secret_key": settings.signing_key,
                             "https_site": settings.base_url.lower().startswith("https://")}),
    ]
    for middleware, options in reversed(outermost_first):  # each add_middleware wraps all added before it
        app.add_middleware(middleware, **options)


class ConcurrencyLimitMiddleware:
    """How many requests one worker process works on at once; the others wait at the door.

    Handlers run in threads that share one GIL, and SQLite reads hand it over on every row, so a few
    requests at once slow each other several times over (measured with wrk on 2 cores: 4 at once on
    one worker served half as many requests per second as 1). Waiting here, before any middleware or
    dependency has taken a database connection, also keeps a burst from draining the connection pool
    (it did: 32 connections at once made requests time out waiting for one). Static files skip the queue.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None  # made in the server's event loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.limit)
        async with self._semaphore:
            await self.app(scope, receive, send)


# Headers every response carries so that a browser limits what a page can do, whatever its content:
# scripts and styles only from this site, no framing, no MIME sniffing, no full URLs sent elsewhere.
# Inline scripts are not allowed (the site has none); inline styles are, for KaTeX's rendered math.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class JsonSuffixMiddleware:
    """`/anything.json` is routed as `/anything`, marked (render.JSON_SUFFIX) so `respond` answers with
    JSON. Paths under _NO_SUFFIX_PREFIXES keep theirs: the API, feeds, files and the API docs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith(".json") and not path.startswith(_NO_SUFFIX_PREFIXES):
            stripped = path[: -len(".json")]
            stripped = "/" if stripped in ("", "/") else stripped
            raw = scope.get("raw_path")
            scope = {**scope, "path": stripped, JSON_SUFFIX: True}
            if raw is not None and raw.endswith(b".json"):
                scope["raw_path"] = raw[: -len(b".json")] or b"/"
        await self.app(scope, receive, send)
