"""The per-worker limit on requests in progress: the rest wait, static files never do."""

from __future__ import annotations

import asyncio

import pytest

from paperfeed.web.middleware import ConcurrencyLimitMiddleware


class SlowApp:
    """Records how many requests were inside it at once."""

    def __init__(self) -> None:
        self.inside = self.most = 0

    async def __call__(self, scope, receive, send) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(0.02)
        self.inside -= 1


@pytest.mark.parametrize(("limit", "path", "most"), [(1, "/", 1), (3, "/search", 3), (1, "/static/app.css", 8)])
def test_at_most_limit_requests_are_in_progress(limit, path, most):
    inner = SlowApp()
    app = ConcurrencyLimitMiddleware(inner, limit=limit)

    async def burst() -> None:
        await asyncio.gather(*(app({"type": "http", "path": path}, None, None) for _ in range(8)))

    asyncio.run(burst())
    assert inner.most == most
