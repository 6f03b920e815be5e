"""How many requests one worker process works on at once; the others wait at the door.

Handlers run in threads that share one GIL, and SQLite reads hand it over on every row, so a few
requests at once slow each other several times over (measured with wrk on 2 cores: 4 at once on
one worker served half as many requests per second as 1). Waiting here, before any middleware or
dependency has taken a database connection, also keeps a burst from draining the connection pool
(it did: 32 connections at once made requests time out waiting for one). Static files skip the queue.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send


class ConcurrencyLimitMiddleware:
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
