"""Gathering what a batch can pick from, once per look-back window: the window's new papers, the
trending papers, and each distinct saved query's hits; and, per subscriber who is a reader, their
model's ranking of the window ("For you"). The I/O half of composing (store + search + the kept
rankings); compose.py is the pure half.

Saved queries run through the hybrid search once per distinct query and window, not once per
subscriber: ten thousand readers following "diffusion models" cost one search.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from paperfeed.db.collections import require_collections
from paperfeed.db.digests import papers_new_since, readers_by_email
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.subscriptions import drop_interest
from paperfeed.db.trending import trending_papers
from paperfeed.digest.compose import Candidates, build_candidates
from paperfeed.digest.schedule import TRENDING_WINDOW
from paperfeed.errors import NotFound, PaperfeedError
from paperfeed.models import Interest, Paper, Recommendation, Subscriber

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


@dataclass(frozen=True, slots=True)
class DigestReader:
    """A subscriber who is a reader: whose model ranks their "For you" (a collection's, when they chose one)."""

    user_id: int
    collection_id: int | None = None


def _collection_id(conn: sa.Connection, user_id: int | None, interest: Interest) -> int | None:
    """The collection an interest names, when it is still this reader's; else None."""
    if user_id is None or not interest.value.isdigit():
        return None
    try:
        return require_collections(conn, user_id, [int(interest.value)])[0]
    except NotFound:
        return None


def digest_readers(conn: sa.Connection, subscribers: Sequence[Subscriber], *,
                   clean_up: bool = True) -> dict[int, DigestReader]:
    """The subscribers (by id) whose address is a reader's. A collection interest that no longer names one
    of the reader's collections (deleted since, or the account gone) is skipped, and forgotten when
    `clean_up`: the digest then ranks by the whole library."""
    user_ids = readers_by_email(conn, [s.email for s in subscribers])
    readers = {}
    for subscriber in subscribers:
        user_id = user_ids.get(subscriber.email)
        chosen = None
        for interest in (i for i in subscriber.interests if i.kind == "collection"):
            collection_id = _collection_id(conn, user_id, interest) if chosen is None else None
            if collection_id is not None:
                chosen = collection_id
                continue
            log.info("digest of %s: collection %s is gone, ranking by the library", subscriber.email, interest.value)
            if clean_up:
                drop_interest(conn, subscriber.id, interest)
        if user_id is not None:
            readers[subscriber.id] = DigestReader(user_id, chosen)
    return readers


def for_you_ranking(conn: sa.Connection, recommender, reader: DigestReader, start: date, end: date,
                    sent: Collection[int], want: int) -> list[tuple[int, Recommendation]]:
    """The reader's model's best `want` papers of the days from `start` to `end` that were not sent to
    them before and that the model calls a match, best first, each with why; empty unless the model is
    READY. Papers the reader opened, saved or rated are left out: they have seen them."""
    from paperfeed.foryou.service import READY

    items, offset, page = [], 0, max(2 * want, 20)
    while len(items) < want:
        result = recommender.for_you(conn, reader.user_id, start, end, collection_id=reader.collection_id,
                                     hide_read=True, offset=offset, limit=page)
        if result.state != READY:
            return []
        matches = [item for item in result.items if item.match is not None]
        items += [item for item in matches if item.paper_id not in sent]
        # Best first: once one is below a match, so is the rest.
        if len(matches) < len(result.items) or not result.has_more or not result.items:
            break
        offset += len(result.items)
    items = items[:want]
    library = papers_by_ids(conn, sorted({i for item in items for i in item.closest}))
    return [(item.paper_id, Recommendation(item.match.value, tuple(library[i] for i in item.closest if i in library),
                                           tuple(item.shared_words)))
            for item in items]
