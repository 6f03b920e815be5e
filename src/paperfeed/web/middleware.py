"""The ASGI middleware every request passes through, and `install_middleware`, the one place that
states their order and why.

Outermost first:
  1. RequestLogMiddleware: one log line per request, and its X-Request-ID.
  2. RequestMetricsMiddleware: requests and their latency by route template, for /metrics.
  3. OpsEndpointsMiddleware: /healthz, /readyz and /metrics, answered before anything below.
  4. ConcurrencyLimitMiddleware: at most `web_concurrency` requests in progress per worker.
  5. SecurityHeadersMiddleware: headers that limit what a browser lets any page do.
  6. JsonSuffixMiddleware: `/anything.json` is routed as `/anything`, marked for JSON.
  7. sessions.SessionMiddleware: who is asking (session cookie or API token), before any route runs.

The session middleware lives with the sessions and CSRF tokens it reads (sessions.py); the NUL-byte
check is no middleware but an app-wide dependency (nul_bytes.py), since it reads the parsed form
Starlette keeps for the route and its 400 is rendered by the app's error handlers like any other.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.config import Settings
from paperfeed.logs import loggable_target
from paperfeed.web import health
from paperfeed.web.errors import json_error
from paperfeed.web.metrics import UNMATCHED, serve_metrics
from paperfeed.web.render import JSON_SUFFIX
from paperfeed.web.sessions import SessionMiddleware

log = logging.getLogger(__name__)

_NO_SUFFIX_PREFIXES = ("/static/", "/api/", "/feeds/", "/openapi.json", "/docs")


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Wrap `app` in its middleware, in the order of the module's docstring:

    - the request log and the metrics are outermost, so what they record is what the client got: every
      request, the probes and the session middleware's refusals included, its time waiting for a slot
      too, and the 500 of an error that escapes everything inside;
    - the probes and /metrics are answered next, before the concurrency limit (a liveness probe must
      answer while every request slot is busy) and the session middleware (no cookie, no API-token
      lookup, no rate limit, no CSRF), and outside the app's routes, so /openapi.json leaves them out;
    - the concurrency limit comes before the rest, so a waiting request holds nothing yet (the session
      middleware takes a database connection to look up the user);
    - security headers come next, so every answer inside carries them, the session middleware's
      401 and 429 included;
    - the `.json` suffix is stripped before the session middleware, whose error answers are JSON
      for a `.json` path like every other.
    """
    outermost_first = [
        (RequestLogMiddleware, {}),
        (RequestMetricsMiddleware, {}),
        (OpsEndpointsMiddleware, {}),
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
    JSON. Paths under _NO_SUFFIX_PREFIXES keep theirs: the API, feeds, files and the API docs.

    The scope is changed in place, not copied: the router then marks the route it chose (scope["route"])
    in the scope RequestMetricsMiddleware holds too. The middleware outside read the path before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.endswith(".json") and not path.startswith(_NO_SUFFIX_PREFIXES):
            stripped = path[: -len(".json")]
            stripped = "/" if stripped in ("", "/") else stripped
            raw = scope.get("raw_path")
            scope.update({"path": stripped, JSON_SUFFIX: True})
            if raw is not None and raw.endswith(b".json"):
                scope["raw_path"] = raw[: -len(b".json")] or b"/"
        await self.app(scope, receive, send)


# Answered by OpsEndpointsMiddleware; GET (and HEAD) only.
OPS_ENDPOINTS = {"/healthz": health.healthz, "/readyz": health.readyz, "/metrics": serve_metrics}
REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy is kept when it is one short token (a UUID, a trace id); anything else
# could forge log fields, so it is replaced by one of ours.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def request_id(scope: Scope) -> str:
    """The client's (or proxy's) X-Request-ID when it is sane, else a new random one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            if _SANE_REQUEST_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """One line per HTTP request when its answer is done: method, path (token-like query values hidden,
    see logs.loggable_target), status, duration in ms and request id; never a header. The request id is
    sent back in X-Request-ID. A request that raised is logged with status 500, the status the error
    handler outside sends. Successful probes (/healthz, /readyz, /metrics) log at DEBUG: a load
    balancer asks every few seconds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        target = loggable_target(scope.get("raw_path") or path.encode(), scope.get("query_string", b""))
        rid = request_id(scope)
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = status or 500
            raise
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            if status is None:  # the client went away before an answer began
                level = logging.INFO
            elif status >= 500:
                level = logging.WARNING
            else:
                level = logging.DEBUG if path in OPS_ENDPOINTS and status < 400 else logging.INFO
            log.log(level, "%s %s %s %.1f ms request_id=%s", method, target, status or "-", duration_ms, rid,
                    extra={"method": method, "path": target, "status": status, "duration_ms": duration_ms,
                           "request_id": rid})


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status (web/metrics.py). The
    route (route_template) is the one the router chose: its template, not the path (`/papers/{key:path}`,
    never a key). A probe is its own path; no route is UNMATCHED (so are the session middleware's
    refusals, given before any route was chosen). A request is counted as its answer starts, before the
    client can see it (so a scrape that follows an answer always counts it), and timed when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        as_received = dict(scope)  # the router rewrites the path and root_path of what it routes to a mount
        metrics = scope["app"].state.metrics
        route: str | None = None

        async def send_counted(message: Message) -> None:
            nonlocal route
            if message["type"] == "http.response.start":
                route = route_template(scope, as_received)
                metrics.count_request(scope["method"], route, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        except Exception:
            if route is None:  # no answer began: the error handler outside sends a 500
                route = route_template(scope, as_received)
                metrics.count_request(scope["method"], route, 500)
            raise
        finally:
            if route is not None:
                metrics.time_request(scope["method"], route, time.perf_counter() - started)


def route_template(routed: Scope, as_received: Scope) -> str:
    """The template of the route that answered `routed` (the scope after the app ran): a probe's path,
    FastAPI's own routes as marked in scope["route"], the app's plain ASGI routes (the /static mount,
    /mcp) matched here on the scope as it arrived, as the router matched them; else UNMATCHED."""
    if as_received["path"] in OPS_ENDPOINTS:
        return as_received["path"]
    if (route := routed.get("route")) is not None:
        return route.path
    for candidate in as_received["app"].router.routes:
        if isinstance(candidate, Route | Mount) and candidate.matches(as_received)[0] is not Match.NONE:
            return candidate.path
    return UNMATCHED


class OpsEndpointsMiddleware:
    """Answers OPS_ENDPOINTS itself; every other request goes on to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = OPS_ENDPOINTS.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None:
            await self.app(scope, receive, send)
        elif scope["method"] not in ("GET", "HEAD"):
            await json_error(405, f"{scope['path']} answers GET only", headers={"Allow": "GET, HEAD"})(
                scope, receive, send)
        else:
            await endpoint(scope, receive, send)
