"""Many readers' kept models over one day's candidates at once: each component as one matrix product
over a chunk of readers (their dense and TF-IDF coefficients side by side, their library papers
stacked), so ranking a day for thousands of readers costs a few large products instead of thousands
of small ones. The chunk bounds memory: no matrix of every reader by every paper is ever held.

    for reader, best in rank_many(models, candidates, vectors, keep=100):
        best.rows, best.scores, best.percentiles    # the reader's `keep` best candidates, best first

Scores equal ReaderModel.score of each restored model (tests/recommend/test_batch.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.recommend.features import PaperFeatures
from paperfeed.recommend.kept import KeptModel, library_rows

# Candidate-by-library-paper similarities held at once (float32): 2,000 candidates x 12,500 library
# papers, 100 MB.
MAX_CELLS = 25_000_000


@dataclass(frozen=True, slots=True)
class Best:
    rows: np.ndarray  # indices into the candidates, best first
    scores: np.ndarray
    percentiles: np.ndarray


def _linear(models: Sequence[KeptModel], name: str, rows, candidates_count: int) -> np.ndarray:
    """(candidates, readers) standardized, weighted scores of one linear component; 0 where a model lacks it."""
    out = np.zeros((candidates_count, len(models)), dtype=np.float64)
    having = [i for i, model in enumerate(models) if model.weight_of(name) is not None]
    if not having:
        return out
    if rows is None:
        raise ValueError(f"the models have a {name} component and the candidates no {name} rows")
    coef_of = (lambda m: m.dense_coef) if name == "dense" else (lambda m: m.sparse_coef)
    intercept_of = (lambda m: m.dense_intercept) if name == "dense" else (lambda m: m.sparse_intercept)
    coefficients = np.column_stack([coef_of(models[i]) for i in having]).astype(np.float32)
    raw = np.asarray(rows @ coefficients, dtype=np.float64)
    for column, i in enumerate(having):
        weight, mean, scale = models[i].weight_of(name)
        out[:, i] = weight * (raw[:, column] + intercept_of(models[i]) - mean) / scale
    return out


def _segment_max(similarities: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """(candidates, len(sizes)) row-wise max over consecutive column segments of these sizes (>0)."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return np.maximum.reduceat(similarities, starts, axis=1)


def _nearest(models: Sequence[KeptModel], dense: np.ndarray, vectors: Mapping[int, np.ndarray]) -> np.ndarray:
    """(candidates, readers) weighted, standardized nearest-items scores (k = 1: the max cosine)."""
    out = np.zeros((dense.shape[0], len(models)), dtype=np.float64)
    dim = dense.shape[1]
    for ids_of, sign in ((lambda m: m.nearest_ids, 1.0), (lambda m: m.negative_ids, -1.0)):
        blocks = [library_rows(vectors, ids_of(model), dim) for model in models]
        having = [i for i, block in enumerate(blocks) if len(block)]
        if not having:
            continue
        stacked = np.vstack([blocks[i] for i in having])
        best = _segment_max(dense @ stacked.T, [len(blocks[i]) for i in having]).astype(np.float64)
        for column, i in enumerate(having):
            factor = 1.0 if sign > 0 else models[i].negative_weight
            out[:, i] += sign * factor * best[:, column]
    for i, model in enumerate(models):
        weight, mean, scale = model.weight_of("nearest")
        out[:, i] = weight * (out[:, i] - mean) / scale
    return out


def _chunks(models: Sequence[KeptModel], candidates: int) -> Iterator[range]:
    """Consecutive reader ranges whose stacked library papers times the candidates stay under MAX_CELLS."""
    start, cells = 0, 0
    for i, model in enumerate(models):
        size = (len(model.nearest_ids) + len(model.negative_ids)) * candidates
        if i > start and cells + size > MAX_CELLS:
            yield range(start, i)
            start, cells = i, 0
        cells += size
    if start < len(models):
        yield range(start, len(models))


def score_many(models: Sequence[KeptModel], candidates: PaperFeatures,
               vectors: Mapping[int, np.ndarray]) -> Iterator[tuple[range, np.ndarray]]:
    """Per chunk of readers, their (candidates, readers-in-chunk) scores. `vectors` holds the library
    papers' embeddings by id. Every model must use the nearest-items ranker with k = 1 (the default)."""
    for model in models:
        if model.weight_of("nearest") is None or model.nearest_k != 1:
            raise ValueError("score_many ranks models with the nearest-items ranker at k = 1")
    for chunk in _chunks(models, len(candidates)):
        part = [models[i] for i in chunk]
        total = _nearest(part, candidates.dense, vectors)
        total += _linear(part, "dense", candidates.dense, len(candidates))
        total += _linear(part, "sparse", candidates.sparse, len(candidates))
        yield chunk, total


def rank_many(models: Sequence[KeptModel], candidates: PaperFeatures, vectors: Mapping[int, np.ndarray], *,
              keep: int) -> Iterator[tuple[int, Best]]:
    """(index into models, that reader's `keep` best candidates) for every model."""
    for chunk, scores in score_many(models, candidates, vectors):
        for column, i in enumerate(chunk):
            column_scores = scores[:, column]
            n = min(keep, len(column_scores))
            top = np.argpartition(-column_scores, n - 1)[:n] if 0 < n < len(column_scores) else np.arange(n)
            top = top[np.lexsort((top, -column_scores[top]))]
            best = column_scores[top]
            percentiles = models[i].calibration().percentile(best)
            yield i, Best(top, best, percentiles)
