"""Gathering what a batch can pick from, once per look-back window: the window's new papers, the
trending papers, and each distinct saved query's hits. The I/O half of composing (store + search);
compose.py is the pure half.

Saved queries run through the hybrid search once per distinct query and window, not once per
subscriber: ten thousand readers following "diffusion models" cost one search.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime

import sqlalchemy as sa

from paperfeed.db.digests import papers_new_since
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.trending import trending_papers
from paperfeed.digest.compose import Candidates, build_candidates
from paperfeed.digest.schedule import TRENDING_WINDOW
from paperfeed.errors import PaperfeedError
from paperfeed.models import Paper

log = logging.getLogger(__name__)

TRENDING_DEPTH = 100  # trending papers looked at: enough for readers who were sent the top ones already


def query_hits(search, queries: Iterable[str], since: date, per_query: int) -> dict[str, list[Paper]]:
    """The best new papers for each saved query (hybrid search, announced on or after `since`)."""
    from paperfeed.search import Filters

    hits = {}
    for query in sorted(set(queries)):
        try:
            # Deeper than a digest shows: papers the subscriber had before are skipped.
            results = search.search(query, Filters(since=since), limit=min(100, 4 * per_query))
        except PaperfeedError as exc:  # a query the search cannot run (nothing left after parsing)
            log.warning("saved query %r skipped: %s", query, exc)
            hits[query] = []
            continue
        hits[query] = [hit.paper for hit in results.hits]
    return hits


def gather_candidates(engine: sa.Engine, *, since: date, frequency: str, now: datetime, queries: Iterable[str],
                      per_query: int, open_search: Callable[[], object] | None) -> Candidates:
    queries = set(queries)
    with engine.connect() as conn:
        new = papers_new_since(conn, since)
        scores = trending_papers(conn, now, window=TRENDING_WINDOW[frequency], limit=TRENDING_DEPTH)
        found = papers_by_ids(conn, [score.paper_id for score in scores])
    trending = [(found[score.paper_id], score.votes) for score in scores if score.paper_id in found]
    hits = query_hits(open_search(), queries, since, per_query) if queries and open_search else {}
    return build_candidates(new, trending, hits)
