""""For you": each reader's ranking of a period's papers, read from what the ranking keeps.

A reader's model (per scope: the whole library, or one collection) is fitted when what it learns from
changes (recommend.fit, ~25 ms) and kept; each day's papers are ranked under it once (by the job after
an ingest, for everyone; or here, for one reader, the first time a day is asked for under a new fit) and
the day's best `for_you_keep` are kept. A page, a feed, the API or a digest then only reads them.

    recommender = Recommender(settings)
    result = recommender.for_you(conn, user_id, period)         # ForYou: state, items with reasons
    recommender.refresh(conn, user_id)                          # after a save, vote or rating
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.for_you import (
    KeptItem,
    KeptModelRow,
    acted_on,
    drop_model,
    kept_model,
    kept_ranking,
    papers_by_day,
    put_model,
    put_rankings,
    ranked_day_counts,
)
from paperfeed.db.index_docs import paper_texts_by_ids
from paperfeed.db.ratings import training_signals
from paperfeed.foryou.features import FeatureSource, VectorTable
from paperfeed.foryou.reasons import shared_words
from paperfeed.library import TrainingSignals
from paperfeed.recommend import DEFAULT_SETTINGS, Match, fit
from paperfeed.recommend.batch import rank_many
from paperfeed.recommend.kept import FORMAT, KeptModel, StaleModel, keep
from paperfeed.recommend.scorers import LinearScorer
from paperfeed.search.documents import document_text

LIBRARY = "library"
MIN_POSITIVES = 3  # below this the page asks for more rather than rank on one or two papers
CLOSEST = 3  # library papers named per recommendation

START, LEARNING, READY = "start", "learning", "ready"
UNREAD = object()  # refresh(): the kept row was not read by the caller


def scope_of(collection_id: int | None) -> str:
    return LIBRARY if collection_id is None else f"collection:{collection_id}"


@dataclass(frozen=True, slots=True)
class ForYouItem:
    paper_id: int
    day: date
    score: float
    percentile: float  # share of random store papers it outscores
    match: Match | None
    closest: tuple[int, ...]  # library paper ids, closest first
    shared_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForYou:
    state: str  # START (nothing to learn from), LEARNING (too little yet) or READY
    positives: int
    needed: int  # positives still needed before the model ranks (0 when READY)
    items: list[ForYouItem] = field(default_factory=list)
    has_more: bool = False


def fitted_signals_key(vocabulary_key: str, positive_ids: Sequence[int], negative_ids: Sequence[int]) -> str:
    """Names what a model was fitted on: the same key means the kept model is still right."""
    text = f"{FORMAT}|{vocabulary_key}|{','.join(map(str, positive_ids))}|{','.join(map(str, negative_ids))}"
    return hashlib.sha256(text.encode()).hexdigest()


class Recommender:
    def __init__(self, settings: Settings, source: FeatureSource | None = None) -> None:
        self.settings = settings
        self.source = source or FeatureSource.open(settings)
        self.fits = 0  # models fitted by this recommender (the job reports it)

    def close(self) -> None:
        self.source.close()

    # --- fitting ------------------------------------------------------------------------------

    def refresh(self, conn: sa.Connection, user_id: int, collection_id: int | None = None, *,
                signals: TrainingSignals | None = None, vectors: VectorTable | None = None,
                row: KeptModelRow | None | object = UNREAD) -> KeptModelRow | None:
        """The reader's kept model of a scope, fitted again first if what it learns from has changed;
        None (and nothing kept) while there are fewer than MIN_POSITIVES embedded positives. A job over
        every reader passes what it read once for all: every embedding (`vectors`) and the kept `row`."""
        signals = signals or training_signals(conn, user_id, collection_id)
        scope = scope_of(collection_id)
        wanted = signals.positive_ids + signals.negative_ids
        embedded = vectors.kept_among(wanted) if vectors is not None else set(self.source.vectors(wanted))
        # Oldest first, as fit() takes them; only embedded papers can be learned from.
        positive_ids = [i for i in reversed(signals.positive_ids) if i in embedded]
        negative_ids = [i for i in reversed(signals.negative_ids) if i in embedded]
        if row is UNREAD:
            row = kept_model(conn, user_id, scope)
        if len(positive_ids) < MIN_POSITIVES:
            if row is not None:  # a page view of a new reader must not write (a write lock on SQLite)
                drop_model(conn, user_id, scope)
            return None
        vocabulary = self.source.vocabulary(conn)
        key = fitted_signals_key(vocabulary.key, positive_ids, negative_ids)
        if row is not None and row.signals_key == key:
            return row
        sample = self.source.store_sample(conn)
        random_negatives = sample.negatives_without(set(positive_ids) | set(negative_ids))
        _, positives = self.source.features(conn, positive_ids)
        _, negatives = self.source.features(conn, negative_ids)
        model = fit(positives, random_negatives, sample.reference,
                    explicit_negatives=negatives if negative_ids else None, settings=DEFAULT_SETTINGS,
                    start=_fits_to_start_from(row, vocabulary.key, self.source.dim))
        kept = keep(model, positive_ids, negative_ids, vocabulary.key)
        put_model(conn, user_id, scope, collection_id, key, len(positive_ids), kept.to_bytes())
        self.fits += 1
        return kept_model(conn, user_id, scope)

    # --- ranking ------------------------------------------------------------------------------

    def rank_days(self, conn: sa.Connection, rows: Sequence[KeptModelRow], days: Mapping[date, Sequence[int]], *,
                  vectors: VectorTable | None = None) -> int:
        """Rank these days' papers under these kept models where they are not ranked yet (or the day's
        papers changed since); returns how many (model, day) rankings were made. `vectors`: every
        embedding, read once by a job over many readers."""
        if not rows or not days:
            return 0
        kept = {row.id: _load(row) for row in rows}
        usable = [row for row in rows if kept[row.id] is not None]
        counts = ranked_day_counts(conn, [row.id for row in usable], min(days), max(days))
        if vectors is None:
            vectors = self.source.vectors(sorted({int(i) for row in usable for model in [kept[row.id]]
                                                  for i in np.concatenate([model.nearest_ids, model.negative_ids])}))
        made = 0
        for day, paper_ids in sorted(days.items()):
            # A day ranked with all its papers is current; otherwise compare with its embedded papers now.
            maybe = [row for row in usable if counts.get((row.id, day)) != len(paper_ids)]
            if not maybe:
                continue
            candidate_ids, candidates = self.source.day_candidates(conn, day, paper_ids)
            still = [row for row in maybe if counts.get((row.id, day)) != len(candidate_ids)]
            if not still:
                continue
            models = [kept[row.id] for row in still]
            rankings = [(row.id, 0, []) for row in still] if not len(candidate_ids) else []
            keep_best = self.settings.for_you_keep
            ranked = rank_many(models, candidates, vectors, keep=keep_best) if len(candidate_ids) else ()
            for index, best in ranked:
                items = [KeptItem(int(candidate_ids[r]), day, float(s), float(p))
                         for r, s, p in zip(best.rows, best.scores, best.percentiles, strict=True)]
                rankings.append((still[index].id, len(candidate_ids), items))
            put_rankings(conn, day, rankings)
            made += len(rankings)
        return made

    # --- reading ------------------------------------------------------------------------------

    def for_you(self, conn: sa.Connection, user_id: int, start: date, end: date, *,
                collection_id: int | None = None, hide_read: bool = False, offset: int = 0,
                limit: int = 20) -> ForYou:
        """The reader's ranking of the papers of the days from `start` to `end`, with reasons."""
        signals = training_signals(conn, user_id, collection_id)
        row = self.refresh(conn, user_id, collection_id, signals=signals)
        positives = len(signals.positives)
        if row is None:
            state = START if positives == 0 else LEARNING
            return ForYou(state, positives, max(MIN_POSITIVES - positives, 1))
        self.rank_days(conn, [row], papers_by_day(conn, start, end))
        hide = acted_on(conn, user_id) if hide_read else ()
        limit = max(0, min(limit, self.settings.for_you_keep - offset))
        items, has_more = kept_ranking(conn, row.id, start, end, hide=hide, limit=limit, offset=offset)
        kept = _load(row)
        return ForYou(READY, positives, 0, self.explain(conn, kept, items), has_more)

    def explain(self, conn: sa.Connection, kept: KeptModel | None, items: Sequence[KeptItem]) -> list[ForYouItem]:
        """Each kept item with its label, its closest library papers and the words it shares with them."""
        if kept is None or not items:
            return []
        calibration = kept.calibration()
        library_ids = [int(i) for i in kept.nearest_ids]
        vectors = self.source.vectors(library_ids + [item.paper_id for item in items])
        library = [i for i in library_ids if i in vectors]
        library_rows = np.vstack([vectors[i] for i in library]) if library else None
        closest: dict[int, tuple[int, ...]] = {}
        for item in items:
            if library_rows is None or item.paper_id not in vectors:
                closest[item.paper_id] = ()
                continue
            similarities = library_rows @ vectors[item.paper_id]
            order = np.argsort(-similarities, kind="stable")
            closest[item.paper_id] = tuple(library[j] for j in order if library[j] != item.paper_id)[:CLOSEST]
        wanted = {item.paper_id for item in items} | {i for ids in closest.values() for i in ids}
        texts = {row.id: document_text(row.title, row.abstract) for row in paper_texts_by_ids(conn, sorted(wanted))}
        vocabulary = self.source.vocabulary(conn)
        return [
            ForYouItem(item.paper_id, item.day, item.score, item.percentile, calibration.label_of(item.percentile),
                       closest[item.paper_id],
                       tuple(shared_words(vocabulary, texts.get(item.paper_id, ""),
                                          [texts[i] for i in closest[item.paper_id] if i in texts])))
            for item in items
        ]


def _fits_to_start_from(row: KeptModelRow | None, vocabulary_key: str, dim: int) -> dict[str, LinearScorer]:
    """The last kept model's linear rankers, where a refit's fits begin; none fitted over other features
    (another vocabulary, another embedding model)."""
    kept = _load(row) if row is not None else None
    if kept is None:
        return {}
    scorers = kept.linear_scorers()
    if kept.vocabulary_key != vocabulary_key:
        scorers.pop("sparse", None)
    if "dense" in scorers and scorers["dense"].coef.shape != (dim,):
        scorers.pop("dense")
    return scorers


def _load(row: KeptModelRow) -> KeptModel | None:
    try:
        return KeptModel.from_bytes(row.model)
    except StaleModel:
        return None  # refitted on the reader's next refresh
