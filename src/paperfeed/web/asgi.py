"""The entry point uvicorn imports in each worker: `paperfeed.web.asgi:app_from_environment`.

A factory rather than a module-level app, so nothing is built at import time; each worker builds
its own Settings and engine from the environment (`paperfeed serve` passes its choices there), and
sets up its logging: paperfeed's INFO lines (one per request) in PAPERFEED_LOG_FORMAT, other
libraries' warnings.
"""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI

from paperfeed.config import Settings
from paperfeed.errors import PaperfeedError
from paperfeed.logs import configure_logging, hold_records
from paperfeed.web.app import create_app

log = logging.getLogger(__name__)

# A request makes many short-lived objects; with the default threshold (700) the collector runs
# every few requests and, every tenth run, walks everything the process holds. On the 194,777-paper
# store that took the feed page's p99 from 31 to 122 ms at one connection (bench/web_load.py).
GC_THRESHOLDS = (50_000, 20, 20)


def warm_up(app: FastAPI) -> None:
    """Open the search index and load the query model now, not in the first visitor's request."""
    try:
        search = app.state.search.get()
        if search is not None and search.vectors is not None and len(search.vectors):
            search.embedder  # noqa: B018  (loads the model)
    except (PaperfeedError, OSError) as exc:
        log.warning("search could not be prepared at start-up: %s", exc)


def app_from_environment() -> FastAPI:
    held = hold_records()  # what reading the settings warns about comes out in their log format
    settings = Settings()
    configure_logging(settings.log_format, level=logging.WARNING, levels={"paperfeed": logging.INFO}, held=held)
    app = create_app(settings)
    warm_up(app)
    # What start-up built lives as long as the process: out of the collector's sight for good.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app
