"""The MCP server over streamable HTTP at /mcp, inside the web app (`paperfeed serve`).

Stateless, with JSON responses: every POST is one JSON-RPC exchange that ends with its answer, so any
worker of `serve --workers N` can take any request (no session lives in one process), and a request
holds one of the worker's concurrency slots (web/middleware.py) only while its tool runs, as an API
call does. GET, which would open a stream for server-sent messages this server never sends, is a 405.

The endpoint is a plain ASGI route, not a FastAPI route, so the app-wide CSRF and NUL-byte
dependencies do not apply: nothing here reads the session cookie and every tool only reads. The Host
and Origin headers are checked instead (the SDK's DNS rebinding protection): the host of
PAPERFEED_BASE_URL and loopback names, so a web page elsewhere cannot drive a local server.

A bearer token (`Authorization: Bearer pf_...`) is checked by the web app's session middleware before
this endpoint runs, as on every route: a valid one names the reader, an unknown one is a 401.

The SDK (a few seconds to import) is loaded when the app starts, not when it is imported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from paperfeed.config import Settings
from paperfeed.web.searcher import LazySearch

if TYPE_CHECKING:
    from mcp.server.transport_security import TransportSecuritySettings

    from paperfeed.foryou.service import Recommender

MCP_PATH = "/mcp"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def transport_security(base_url: str) -> TransportSecuritySettings:
    """Requests must name the site's public host or a loopback one; browsers' Origin must be one of them."""
    from mcp.server.transport_security import TransportSecuritySettings

    site = urlsplit(base_url)
    hosts = [site.netloc, *LOOPBACK_HOSTS, *(f"{host}:*" for host in LOOPBACK_HOSTS)]
    origins = [f"{site.scheme}://{site.netloc}", *(f"http://{host}" for host in LOOPBACK_HOSTS),
               *(f"http://{host}:*" for host in LOOPBACK_HOSTS)]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


class McpEndpoint:
    """The ASGI app the web app routes MCP_PATH to; `running()` belongs in the app's lifespan."""

    def __init__(self, settings: Settings, engine: sa.Engine, lazy_search: LazySearch,
                 recommender: Recommender | None = None) -> None:
        self._settings, self._engine, self._lazy_search = settings, engine, lazy_search
        self._recommender = recommender  # the app's, for the for_you tool
        self._app: ASGIApp | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve requests until the context ends. The SDK's session manager runs only once, so each run
        (each lifespan of the app: tests start one app several times) makes a new server."""
        from paperfeed.mcp_server.tools import build_server

        server = build_server(self._settings, self._engine, self._lazy_search, self._recommender)
        app: ASGIApp = server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
            transport_security=transport_security(self._settings.base_url),
        )
        async with server.session_manager.run():
            self._app = app
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] != "POST":
            response = PlainTextResponse("This MCP endpoint is stateless: POST JSON-RPC messages to it.",
                                         status_code=405, headers={"Allow": "POST"})
            await response(scope, receive, send)
            return
        if self._app is None:
            await PlainTextResponse("The MCP endpoint is not running.", status_code=503)(scope, receive, send)
            return
        await self._app(scope, receive, send)

