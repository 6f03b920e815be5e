"""What "For you" keeps (paperfeed.foryou): each reader's fitted model per scope, the days ranked
under it and its best papers of each day; the papers a reader has opened; and the bulk reads the
ranking job needs (the papers of given days).

    model = kept_model(conn, user_id, scope)            # KeptModelRow or None
    model_id = put_model(conn, user_id, scope, ...)     # replaces the fit, forgets its rankings
    put_ranking(conn, model_id, day, candidates, rows)  # one day's kept best papers
    kept_ranking(conn, model_id, start, end, ...)       # read them back, best first
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import (
    PAPER_DAY,
    kept_rankings,
    paper_reads,
    papers,
    ranked_days,
    ratings,
    reader_models,
    saved_papers,
)


@dataclass(frozen=True, slots=True)
class KeptModelRow:
    id: int
    user_id: int
    collection_id: int | None
    scope: str
    signals_key: str
    positives: int
    fitted_at: datetime
    model: bytes


@dataclass(frozen=True, slots=True)
class KeptItem:
    paper_id: int
    day: date
    score: float
    percentile: float


def _row(row: sa.Row) -> KeptModelRow:
    return KeptModelRow(row.id, row.user_id, row.collection_id, row.scope, row.signals_key, row.positives,
                        row.fitted_at, bytes(row.model))


def kept_model(conn: sa.Connection, user_id: int, scope: str) -> KeptModelRow | None:
    row = conn.execute(sa.select(reader_models).where(reader_models.c.user_id == user_id,
                                                      reader_models.c.scope == scope)).first()
    return None if row is None else _row(row)


def kept_models(conn: sa.Connection, scope: str | None = None) -> list[KeptModelRow]:
    """Every kept model (of one scope, e.g. "library"), by reader."""
    query = sa.select(reader_models).order_by(reader_models.c.user_id, reader_models.c.id)
    if scope is not None:
        query = query.where(reader_models.c.scope == scope)
    return [_row(row) for row in conn.execute(query)]


def put_model(conn: sa.Connection, user_id: int, scope: str, collection_id: int | None, signals_key: str,
              positives: int, model: bytes, now: datetime | None = None) -> int:
    """Keep a reader's newly fitted model for a scope; the rankings of the model it replaces are
    forgotten (they are ranked again under the new one). Returns the model's id (stable per scope)."""
    moment = now or datetime.now(UTC)
    values = dict(signals_key=signals_key, positives=positives, fitted_at=moment, model=model)
    conn.execute(insert_or_ignore(conn, reader_models).values(user_id=user_id, scope=scope,
                                                              collection_id=collection_id, **values))
    model_id = conn.execute(sa.select(reader_models.c.id).where(reader_models.c.user_id == user_id,
                                                                reader_models.c.scope == scope)).scalar_one()
    conn.execute(reader_models.update().where(reader_models.c.id == model_id).values(**values))
    forget_rankings(conn, model_id)
    return model_id


def drop_model(conn: sa.Connection, user_id: int, scope: str) -> None:
    """Forget a reader's model of a scope and its rankings (nothing left to learn from)."""
    conn.execute(reader_models.delete().where(reader_models.c.user_id == user_id, reader_models.c.scope == scope))


def forget_rankings(conn: sa.Connection, model_id: int) -> None:
    conn.execute(kept_rankings.delete().where(kept_rankings.c.model_id == model_id))
    conn.execute(ranked_days.delete().where(ranked_days.c.model_id == model_id))


def ranked_day_counts(conn: sa.Connection, model_ids: Iterable[int], start: date,
                      end: date) -> dict[tuple[int, date], int]:
    """(model id, day) -> how many candidates the day had when it was ranked under that model."""
    ids = list(model_ids)
    if not ids:
        return {}
    rows = conn.execute(sa.select(ranked_days.c.model_id, ranked_days.c.day, ranked_days.c.candidates)
                        .where(ranked_days.c.model_id.in_(ids), ranked_days.c.day >= start,
                               ranked_days.c.day <= end))
    return {(row.model_id, row.day): row.candidates for row in rows}


def put_rankings(conn: sa.Connection, day: date, rankings: Sequence[tuple[int, int, Sequence[KeptItem]]],
                 now: datetime | None = None) -> None:
    """Keep one day's best papers of several models: (model id, the day's candidate count, items).
    Replaces what those models kept of that day."""
    if not rankings:
        return
    moment = now or datetime.now(UTC)
    model_ids = [model_id for model_id, _, _ in rankings]
    for start in range(0, len(model_ids), 500):
        chunk = model_ids[start:start + 500]
        conn.execute(kept_rankings.delete().where(kept_rankings.c.model_id.in_(chunk), kept_rankings.c.day == day))
        conn.execute(ranked_days.delete().where(ranked_days.c.model_id.in_(chunk), ranked_days.c.day == day))
    conn.execute(ranked_days.insert(), [dict(model_id=model_id, day=day, candidates=count, ranked_at=moment)
                                        for model_id, count, _ in rankings])
    rows = [dict(model_id=model_id, paper_id=item.paper_id, day=item.day, score=item.score,
                 percentile=item.percentile) for model_id, _, items in rankings for item in items]
    if rows:
        conn.execute(kept_rankings.insert(), rows)


def kept_ranking(conn: sa.Connection, model_id: int, start: date, end: date, *, hide: Iterable[int] = (),
                 limit: int = 20, offset: int = 0) -> tuple[list[KeptItem], bool]:
    """The model's kept papers of the days from `start` to `end`, best first (then newer day, higher id),
    leaving out `hide`; and whether more follow."""
    query = (sa.select(kept_rankings.c.paper_id, kept_rankings.c.day, kept_rankings.c.score,
                       kept_rankings.c.percentile)
             .where(kept_rankings.c.model_id == model_id, kept_rankings.c.day >= start, kept_rankings.c.day <= end)
             .order_by(kept_rankings.c.score.desc(), kept_rankings.c.day.desc(), kept_rankings.c.paper_id.desc()))
    hidden = set(hide)
    if hidden:
        query = query.where(kept_rankings.c.paper_id.not_in(hidden))
    rows = conn.execute(query.limit(limit + 1).offset(offset)).all()
    items = [KeptItem(row.paper_id, row.day, row.score, row.percentile) for row in rows[:limit]]
    return items, len(rows) > limit


def prune_rankings(conn: sa.Connection, before: date) -> int:
    """Forget every kept ranking of days before `before`; how many papers' rows went."""
    conn.execute(ranked_days.delete().where(ranked_days.c.day < before))
    return conn.execute(kept_rankings.delete().where(kept_rankings.c.day < before)).rowcount


def papers_by_day(conn: sa.Connection, start: date, end: date) -> dict[date, list[int]]:
    """Day -> ids of the papers of that day (announced, else published), from `start` to `end`."""
    found: dict[date, list[int]] = defaultdict(list)
    rows = conn.execute(sa.select(papers.c.id, PAPER_DAY.label("day"))
                        .where(start <= PAPER_DAY, end >= PAPER_DAY).order_by(papers.c.id))
    for paper_id, day in rows:
        found[day].append(paper_id)
    return dict(found)


def latest_paper_day(conn: sa.Connection) -> date | None:
    """The newest day (announced, else published) of any paper."""
    return conn.execute(sa.select(sa.func.max(PAPER_DAY))).scalar()


def mark_read(conn: sa.Connection, user_id: int, paper_id: int, now: datetime | None = None) -> None:
    conn.execute(insert_or_ignore(conn, paper_reads).values(user_id=user_id, paper_id=paper_id,
                                                            read_at=now or datetime.now(UTC)))


def acted_on(conn: sa.Connection, user_id: int) -> set[int]:
    """Papers the reader has opened, saved or rated: what "hide read papers" hides."""
    found = set(conn.execute(sa.select(paper_reads.c.paper_id).where(paper_reads.c.user_id == user_id)).scalars())
    found |= set(conn.execute(sa.select(saved_papers.c.paper_id).where(saved_papers.c.user_id == user_id)).scalars())
    found |= set(conn.execute(sa.select(ratings.c.paper_id).where(ratings.c.user_id == user_id)).scalars())
    return found
