"""Typed dependencies for route signatures: `def page(conn: ConnDep, search: SearchDep)`.

Everything comes from app.state, set once by create_app; nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Request

from paperfeed.config import Settings
from paperfeed.db.users import User
from paperfeed.foryou.service import Recommender
from paperfeed.search import SearchService


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> sa.Engine:
    return request.app.state.engine


def get_conn(request: Request) -> Iterator[sa.Connection]:
    """A read connection for the request, closed (its transaction rolled back) after the handler."""
    with request.app.state.engine.connect() as conn:
        yield conn


def get_search(request: Request) -> SearchService | None:
    """The search service, or None while no index has been built."""
    return request.app.state.search.get()


def get_recommender(request: Request) -> Recommender:
    return request.app.state.recommender


def get_user(request: Request) -> User | None:
    """The signed-in user, set on request.state by the accounts middleware; None when signed out."""
    return getattr(request.state, "user", None)


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[sa.Engine, Depends(get_engine)]
ConnDep = Annotated[sa.Connection, Depends(get_conn)]
SearchDep = Annotated[SearchService | None, Depends(get_search)]
RecommenderDep = Annotated[Recommender, Depends(get_recommender)]
UserDep = Annotated[User | None, Depends(get_user)]
