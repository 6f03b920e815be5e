"""Hybrid search: a keyword leg (BM25), a semantic leg (dense embeddings) and their fusion.

This module is the package's public front: the web app, the CLI, digests and the MCP server import
from here, and everything else in the package is internal. Every leg shares one shape: a query in,
`Ranked` (paper ids and scores, best first) out. Names load on first use (PEP 562), so importing a
light part (Filters, for a CLI option) does not load the service, numpy and tantivy; nothing here
loads a model either: the embedding backends come in only when the semantic leg first needs one.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paperfeed.search.base import Filters
    from paperfeed.search.indexer import IndexPaths, keyword_synced_at
    from paperfeed.search.maintenance import update_index
    from paperfeed.search.query import parse_query
    from paperfeed.search.service import MAX_LIMIT, MAX_OFFSET, Hit, SearchResults, SearchService

_HOMES = {
    "Filters": "base", "IndexPaths": "indexer", "keyword_synced_at": "indexer", "update_index": "maintenance",
    "parse_query": "query",
    "MAX_LIMIT": "service", "MAX_OFFSET": "service", "Hit": "service", "SearchResults": "service",
    "SearchService": "service",
}
__all__ = [  # the names of _HOMES
    "MAX_LIMIT", "MAX_OFFSET", "Filters", "Hit", "IndexPaths", "SearchResults", "SearchService", "keyword_synced_at",
    "parse_query", "update_index",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
