"""Private ratings ("more like this" +1, "less like this" -1; one per reader and paper, apart from the
public upvote) and what a reader's model learns from: their saves, upvotes and ratings, read here
and combined by paperfeed.library's rule.

    signals = training_signals(conn, user_id)                 # the whole library
    signals = training_signals(conn, user_id, collection_id)  # one collection's papers as the positives
    signals.positive_ids, signals.negative_ids                # newest first
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.collections import require_collections
from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import collection_papers, papers, ratings, saved_papers, votes
from paperfeed.errors import NotFound
from paperfeed.library import LESS, MORE, SAVED, UPVOTED, Evidence, TrainingSignals, training_signals_from


def rate_paper(conn: sa.Connection, user_id: int, paper_id: int, value: int, now: datetime | None = None) -> None:
    """Rate a paper +1 or -1 (input is read by paperfeed.library.rating_value); a new rating replaces the old."""
    if value not in (1, -1):
        raise ValueError(f"a rating is +1 or -1, not {value!r}")
    # Checked first: a foreign-key failure would abort the whole transaction on PostgreSQL.
    if conn.execute(sa.select(papers.c.id).where(papers.c.id == paper_id)).first() is None:
        raise NotFound(f"no paper with id {paper_id}")
    moment = now or datetime.now(UTC)
    # Insert-or-ignore then update, rather than one upsert: the same two statements on both databases, and a
    # concurrent first rating of the same paper cannot fail on the primary key.
    conn.execute(insert_or_ignore(conn, ratings).values(user_id=user_id, paper_id=paper_id, value=value,
                                                        rated_at=moment))
    conn.execute(ratings.update().where(ratings.c.user_id == user_id, ratings.c.paper_id == paper_id,
                                        ratings.c.value != value).values(value=value, rated_at=moment))


def clear_rating(conn: sa.Connection, user_id: int, paper_id: int) -> bool:
    result = conn.execute(ratings.delete().where(ratings.c.user_id == user_id, ratings.c.paper_id == paper_id))
    return result.rowcount > 0


def clear_ratings(conn: sa.Connection, user_id: int) -> int:
    """Forget every rating of the reader; how many there were."""
    return conn.execute(ratings.delete().where(ratings.c.user_id == user_id)).rowcount


def ratings_of(conn: sa.Connection, user_id: int | None, paper_ids: Iterable[int]) -> dict[int, int]:
    """Paper id -> the reader's rating (+1 or -1), for a page of papers; unrated papers are left out."""
    ids = set(paper_ids)
    if user_id is None or not ids:
        return {}
    rows = conn.execute(sa.select(ratings.c.paper_id, ratings.c.value)
                        .where(ratings.c.user_id == user_id, ratings.c.paper_id.in_(ids)))
    return {paper_id: value for paper_id, value in rows}


def _evidence_reads(user_id: int | None = None, paper_ids: Collection[int] | None = None,
                    newest: int | None = None) -> tuple[sa.Select, ...]:
    """The three reads behind the evidence (saves, upvotes, ratings), each row led by the reader's id,
    of one reader or all of them, of given papers or all of them, of each kind's `newest` rows or all."""
    reads = []
    for table, *columns in ((saved_papers, saved_papers.c.saved_at), (votes, votes.c.created_at),
                            (ratings, ratings.c.value, ratings.c.rated_at)):
        read = sa.select(table.c.user_id, table.c.paper_id, *columns)
        if user_id is not None:
            read = read.where(table.c.user_id == user_id)
        if paper_ids is not None:
            read = read.where(table.c.paper_id.in_(list(paper_ids)))
        if newest is not None:
            read = read.order_by(columns[-1].desc()).limit(newest)
        reads.append(read)
    return tuple(reads)


def _evidence_by_reader(conn: sa.Connection, saved: sa.Select, upvoted: sa.Select | None,
                        rated: sa.Select) -> dict[int, list[Evidence]]:
    found: dict[int, list[Evidence]] = defaultdict(list)
    for user_id, paper_id, at in conn.execute(saved):
        found[user_id].append(Evidence(paper_id, SAVED, at))
    for user_id, paper_id, at in conn.execute(upvoted) if upvoted is not None else ():
        found[user_id].append(Evidence(paper_id, UPVOTED, at))
    for user_id, paper_id, value, at in conn.execute(rated):
        found[user_id].append(Evidence(paper_id, MORE if value > 0 else LESS, at))
    return dict(found)


def evidence(conn: sa.Connection, user_id: int, collection_id: int | None = None) -> list[Evidence]:
    """Everything the reader did that the model learns from: each save, upvote and rating, with when.

    For a collection, its papers are the saves, and upvotes and "more like this" (which belong to no
    collection) are left out; "less like this" counts against every collection alike."""
    saved, upvoted, rated = _evidence_reads(user_id)
    if collection_id is not None:
        require_collections(conn, user_id, [collection_id])
        saved = saved.where(sa.exists().where(collection_papers.c.collection_id == collection_id,
                                              collection_papers.c.user_id == user_id,
                                              collection_papers.c.paper_id == saved_papers.c.paper_id))
        upvoted, rated = None, rated.where(ratings.c.value < 0)
    return _evidence_by_reader(conn, saved, upvoted, rated).get(user_id, [])


def everyone_evidence(conn: sa.Connection, paper_ids: Collection[int] | None = None,
                      newest: int | None = None) -> dict[int, list[Evidence]]:
    """Every reader's saves, upvotes and ratings (of the given papers, or of all; each kind's `newest`
    rows, or all), by reader, in three queries rather than three per reader: what the ranking job reads
    before deciding whom to refit, and what the instance's interest in papers is counted from."""
    return _evidence_by_reader(conn, *_evidence_reads(paper_ids=paper_ids, newest=newest))


def training_signals(conn: sa.Connection, user_id: int, collection_id: int | None = None) -> TrainingSignals:
    """What the reader's model learns from (the whole library, or one collection): positives = saved ∪
    upvoted ∪ rated +1, minus rated -1; negatives = rated -1; each with its reasons and when, newest first.
    NotFound for a collection that is not the reader's."""
    return training_signals_from(evidence(conn, user_id, collection_id))
