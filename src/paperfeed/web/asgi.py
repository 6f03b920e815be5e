"""The entry point uvicorn imports in each worker: `paperfeed.web.asgi:app_from_environment`.

A factory rather than a module-level app, so nothing is built at import time; each worker builds
its own Settings and engine from the environment (`paperfeed serve` passes its choices there).
"""

from __future__ import annotations

from fastapi import FastAPI

from paperfeed.config import Settings
from paperfeed.web.app import create_app


def app_from_environment() -> FastAPI:
    return create_app(Settings())
