"""Hybrid search: a keyword leg (BM25), a semantic leg (dense embeddings) and their fusion.

This module is the package's public front: the web app, the CLI, digests and the MCP server import
from here, and everything else in the package is internal. Every leg shares one shape: a query in,
`Ranked` (paper ids and scores, best first) out. Nothing here loads a model: the embedding backends
are imported only when the semantic leg first needs one.
"""

from paperfeed.search.base import Filters
from paperfeed.search.indexer import IndexPaths
from paperfeed.search.maintenance import update_index
from paperfeed.search.query import parse_query
from paperfeed.search.service import MAX_LIMIT, MAX_OFFSET, Hit, SearchResults, SearchService

__all__ = [
    "MAX_LIMIT", "MAX_OFFSET", "Filters", "Hit", "IndexPaths", "SearchResults", "SearchService", "parse_query",
    "update_index",
]
