"""The search service as the web app sees it: opened on first use, and only once an index exists.

Pages work without an index (a fresh instance before `paperfeed index`); the search page then
says so. The check is repeated on later requests, so building the index needs no restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.errors import PaperfeedError
from paperfeed.search import Filters, IndexPaths, SearchResults, SearchService

log = logging.getLogger(__name__)

NO_INDEX = "The search index is not built yet: run `paperfeed index` (a few seconds with --keyword-only)."


class LazySearch:
    def __init__(self, settings: Settings, engine: sa.Engine, service: SearchService | None = None,
                 observe_leg: Callable[[str, float], None] | None = None) -> None:
        """`observe_leg` is told each search leg's time, by whichever service this hands out."""
        self._settings = settings
        self._engine = engine
        self._service = service
        self._observe_leg = observe_leg
        if service is not None and observe_leg is not None:
            service.observe_leg = observe_leg
        self._lock = threading.Lock()

    def get(self) -> SearchService | None:
        """The service, or None while there is no keyword index to search."""
        if self._service is not None:
            return self._service
        with self._lock:
            if self._service is None and self.index_built():
                try:
                    self._service = SearchService.open(self._settings, self._engine)
                    self._service.observe_leg = self._observe_leg
                except (PaperfeedError, OSError, ValueError) as exc:
                    log.warning("search index could not be opened: %s", exc)
            return self._service

    def index_built(self) -> bool:
        """Has `paperfeed index` built a keyword index here? (KeywordIndex.open would create an empty
        one; a missing one should say "not built".)"""
        return (IndexPaths(self._settings.data_dir / "index").keyword / "meta.json").exists()


def run_search(search: SearchService, text: str, filters: Filters, *, offset: int, limit: int,
               sort: str, similar: str | None) -> SearchResults | None:
    """What the search page (and its feed) shows: similar papers, a search, or None for an empty form."""
    if similar:
        return search.similar(similar, limit=limit)
    if not text.strip() and not filters.active:
        return None
    return search.search(text, filters, limit=limit, offset=offset, sort=sort)
