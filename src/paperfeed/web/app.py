"""The web app: `create_app(settings)` builds it; nothing is made at import time.

app.state holds what routes need (see deps.py): settings, engine, secret_key (signs sessions and
CSRF tokens), search (a LazySearch: `.get()` is the SearchService or None before `paperfeed index`),
metrics (what /metrics shows: metrics.py) and templates. Each area of the site is one router under
routes/, included from ROUTERS.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from paperfeed import __version__
from paperfeed.config import Settings
from paperfeed.db.engine import make_engine
from paperfeed.foryou.service import Recommender
from paperfeed.mcp_server import MCP_PATH, McpEndpoint
from paperfeed.search import IndexPaths, SearchService
from paperfeed.web.accounts_setup import install_accounts
from paperfeed.web.api_models import PAGE_ERRORS
from paperfeed.web.errors import install_error_handlers
from paperfeed.web.metrics import Metrics
from paperfeed.web.middleware import install_middleware
from paperfeed.web.nul_bytes import refuse_nul
from paperfeed.web.render import STATIC_DIR, katex_installed, make_templates
from paperfeed.web.routes import (
    account_settings,
    accounts,
    admin,
    api,
    api_for_you,
    api_library,
    browse,
    comments,
    daily,
    discussed,
    docs,
    feeds,
    for_you,
    library,
    library_files,
    my_papers,
    opml,
    papers,
    private_feeds,
    saves,
    search,
    submit,
    subscriptions,
    votes,
)
from paperfeed.web.searcher import LazySearch
from paperfeed.web.sessions import require_csrf

# Order matters where paths overlap: fixed paths (/papers/daily) before patterns (/papers/{key}).
ROUTERS = [
    docs.router,
    admin.router,
    daily.router,
    discussed.router,
    search.router,
    comments.api_router,  # before api: /api/papers/{id:path} would take "{id}/comments" for an id
    comments.router,
    api.router,
    api_library.router,
    api_for_you.router,
    accounts.router,
    account_settings.router,
    votes.router,
    saves.router,
    my_papers.router,
    library.router,
    library_files.router,
    for_you.router,
    submit.router,
    subscriptions.router,
    browse.router,
    private_feeds.router,
    feeds.router,
    opml.router,
    papers.router,
]


def create_app(settings: Settings, *, engine: sa.Engine | None = None, search: SearchService | None = None) -> FastAPI:
    """The app for these settings; `engine` and `search` are made from the settings when not given.
    Settings itself refuses to exist outside development without a secret key (config.py)."""
    secret_key = settings.signing_key
    owns_engine = engine is None
    engine = engine if engine is not None else make_engine(settings.resolved_database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        async with _app.state.mcp.running():
            yield
        _app.state.recommender.close()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="paperfeed", version=__version__, lifespan=lifespan,
        docs_url=None, redoc_url=None,  # /docs: routes/docs.py
        # Every POST/PUT/PATCH/DELETE carries the session's token; no input carries a NUL (nul_bytes.py).
        dependencies=[Depends(require_csrf), Depends(refuse_nul)],
        responses=PAGE_ERRORS,  # the real error shape, not FastAPI's `detail`; /api/ routers say JSON only
        description="A self-hosted research-paper feed: daily papers, trending, search, feeds. "
        "Every page is also JSON (add .json to its path); the /api/ endpoints follow the Hugging Face papers API.",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.secret_key = secret_key
    app.state.metrics = Metrics(engine, IndexPaths(settings.data_dir / "index"))
    app.state.search = LazySearch(settings, engine, search, observe_leg=app.state.metrics.observe_search_leg)
    app.state.recommender = Recommender(settings)  # "For you": kept models and rankings (paperfeed.foryou)
    app.state.templates = make_templates()
    app.state.katex_installed = katex_installed()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # MCP over streamable HTTP: a plain ASGI route, outside the CSRF dependency (see mcp_server/endpoint.py).
    app.state.mcp = McpEndpoint(settings, engine, app.state.search, app.state.recommender)
    app.add_route(MCP_PATH, app.state.mcp, include_in_schema=False)
    install_accounts(app, settings, engine)
    install_middleware(app, settings)  # the order, and why: see middleware.py
    return app
