"""Wires accounts into the app: on app.state the password checks (`accounts`), the rate limiter and
the arXiv lookup that submissions use.

The session middleware that tells who is asking is installed with the others (middleware.py); the CSRF
check is an app-wide dependency (sessions.require_csrf) passed to FastAPI in create_app.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI, Request

from paperfeed.config import Settings
from paperfeed.submissions import ArxivLookup
from paperfeed.web.accounts import Accounts
from paperfeed.web.ratelimit import RateLimiter


def install_accounts(app: FastAPI, settings: Settings, engine: sa.Engine) -> None:
    app.state.accounts = Accounts(engine)
    app.state.rate_limiter = (RateLimiter(storage_uri=settings.rate_limit_storage) if settings.rate_limits
                              else RateLimiter.disabled())
    app.state.arxiv_lookup = ArxivLookup(settings)


def client_address(request: Request) -> str:
    """The client's IP, as uvicorn reports it (behind a trusted proxy: from X-Forwarded-For)."""
    return request.client.host if request.client else "unknown"
