"""The ranking job: after an ingest, every reader's model ranks the new days once, and the result is
kept (foryou.service reads it). Models whose evidence changed since their fit are fitted again first;
readers are ranked in chunks (recommend.batch), so memory stays bounded however many there are.

    report = rank_everyone(engine, settings, on_progress=progress)   # `paperfeed for-you rank`
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.for_you import (
    drop_model,
    kept_models,
    latest_paper_day,
    papers_by_day,
    prune_rankings,
)
from paperfeed.db.ratings import everyone_evidence
from paperfeed.foryou.service import LIBRARY, Recommender
from paperfeed.library import training_signals_from

READERS_PER_CHUNK = 500  # models ranked together per day: their library vectors are held at once


@dataclass(frozen=True, slots=True)
class RankReport:
    readers: int  # readers with something to learn from
    refitted: int  # models fitted again because their evidence changed
    models: int  # kept library models ranked
    days: int  # days looked at
    rankings: int  # (model, day) rankings made
    pruned: int  # kept rows of days too old to show
    seconds: float


def _chunks(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def rank_everyone(engine: sa.Engine, settings: Settings, *, days: int | None = None,
                  recommender: Recommender | None = None,
                  on_progress: Callable[[int, int], None] | None = None) -> RankReport:
    """Refit the readers' library models whose evidence changed, rank the last `days` days with papers
    (settings.for_you_days) under every model where not ranked yet, and forget older rankings."""
    began = time.perf_counter()
    owns = recommender is None
    recommender = recommender or Recommender(settings)
    try:
        with engine.connect() as conn:
            evidence = everyone_evidence(conn)
            latest = latest_paper_day(conn)
        vectors = recommender.source.vector_table()  # one read of every embedding, not one query per reader
        with engine.connect() as conn:
            kept_rows = {row.user_id: row for row in kept_models(conn, LIBRARY)}
        refitted = 0
        readers = list(evidence)
        with engine.begin() as conn:  # readers who cleared everything keep no model (nor its rankings)
            for user_id in set(kept_rows) - set(evidence):
                drop_model(conn, user_id, LIBRARY)
        for chunk in _chunks(readers, 100):  # one transaction per 100 readers: an interruption keeps the rest
            with engine.begin() as conn:
                for user_id in chunk:
                    fits = recommender.fits
                    recommender.refresh(conn, user_id, signals=training_signals_from(evidence[user_id]),
                                        vectors=vectors, row=kept_rows.get(user_id))
                    refitted += recommender.fits - fits
        if latest is None:
            return RankReport(len(readers), refitted, 0, 0, 0, 0, time.perf_counter() - began)
        start = latest - timedelta(days=(days or settings.for_you_days) - 1)
        with engine.connect() as conn:
            by_day = papers_by_day(conn, start, latest)
            models = kept_models(conn, LIBRARY)
        rankings, done = 0, 0
        total = len(models) * len(by_day)
        for chunk in _chunks(models, READERS_PER_CHUNK):
            with engine.begin() as conn:
                rankings += recommender.rank_days(conn, chunk, by_day, vectors=vectors)
            done += len(chunk) * len(by_day)
            if on_progress:
                on_progress(done, total)
        with engine.begin() as conn:
            pruned = prune_rankings(conn, start)
        return RankReport(len(readers), refitted, len(models), len(by_day), rankings, pruned,
                          time.perf_counter() - began)
    finally:
        if owns:
            recommender.close()
