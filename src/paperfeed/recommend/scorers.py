"""The rankers a reader model is built from. Each is fitted on one reader's papers and scores candidate
rows (PaperFeatures) with one number each, higher meaning closer to the reader; they share that shape
so they combine (model.py) and so the benchmark runs the anchors' recipes through the same code.

- LinearScorer: a linear classifier, positives against negatives, on the dense embeddings (Scholar
  Inbox's logistic regression) or on TF-IDF rows (arxiv-sanity-lite's linear SVM).
- NearestItems: the mean cosine of a candidate to its k nearest library papers (zotero-arxiv-daily's
  family), less the same for the reader's explicit negatives.
- Centroid: cosine to the mean of the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from paperfeed.recommend.features import PaperFeatures

DENSE, SPARSE = "dense", "sparse"


@cache
def _blas_threads():
    """threadpoolctl's controller, made once: making one reads the process's loaded libraries (~9 ms)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _rows(features: PaperFeatures, space: str):
    if space == DENSE:
        return features.dense
    if features.sparse is None:
        raise ValueError("this scorer reads TF-IDF rows and the features have none")
    return features.sparse


@dataclass(frozen=True, slots=True)
class LinearScorer:
    space: str  # DENSE or SPARSE: which rows it reads
    coef: np.ndarray
    intercept: float

    def score(self, candidates: PaperFeatures) -> np.ndarray:
        scores = _rows(candidates, self.space) @ self.coef
        return np.asarray(scores, dtype=np.float64).ravel() + self.intercept


def class_balanced_weights(positives: int, explicit: int, random: int, random_weight: float) -> np.ndarray:
    """Sample weights for [positives, explicit negatives, random negatives]: a random negative counts
    `random_weight` of an explicit one, and each class carries half of the total weight, however few
    positives there are (as Scholar Inbox weighs its users' votes against its cache of papers)."""
    negative = np.concatenate([np.ones(explicit), np.full(random, random_weight)])
    total = positives + explicit + random
    weights = np.concatenate([np.full(positives, 1.0), negative])
    weights[:positives] *= total / 2 / max(positives, 1)
    if negative.sum() > 0:
        weights[positives:] *= total / 2 / negative.sum()
    return weights


def fit_linear(
    rows: PaperFeatures,
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    space: str,
    c: float,
    start: LinearScorer | None = None,
) -> LinearScorer:
    """Logistic regression (scikit-learn, lbfgs) of the rows labelled 1 against those labelled 0, with
    these sample weights, over the rows' `space`. `start`: the fit begins from these coefficients (the
    reader's last model; a rating moves the optimum a little, so L-BFGS needs about a third of the
    iterations) and ends at the same tolerance as a fit from zero."""
    from sklearn.linear_model import LogisticRegression

    x = _rows(rows, space)
    model = LogisticRegression(C=c, max_iter=1_000, warm_start=start is not None)
    if start is not None:
        if start.space != space or start.coef.shape != (x.shape[1],):
            raise ValueError("the start coefficients are over other features")
        model.coef_ = start.coef.astype(np.float64).reshape(1, -1)
        model.intercept_ = np.array([start.intercept])
    # One BLAS thread: on two shared cores, BLAS's own threads made a 2,000-row fit 20-40x slower.
    with _blas_threads().limit(limits=1, user_api="blas"):
        model.fit(x, labels, sample_weight=weights)
    return LinearScorer(space, model.coef_.ravel().astype(np.float32), float(model.intercept_[0]))


def _mean_of_top(similarities: np.ndarray, k: int) -> np.ndarray:
    """Row-wise mean of the k largest values (all of them when there are fewer)."""
    k = min(k, similarities.shape[1])
    if k == similarities.shape[1]:
        return similarities.mean(axis=1)
    if k == 1:
        return similarities.max(axis=1)  # 5-10x faster than a partition
    top = np.partition(similarities, similarities.shape[1] - k, axis=1)[:, -k:]
    return top.mean(axis=1)


@dataclass(frozen=True, slots=True)
class NearestItems:
    """mean cosine to the k nearest positives - negative_weight x the same for explicit negatives."""

    positives: np.ndarray
    negatives: np.ndarray  # (0, dim) when the reader marked none
    k: int
    negative_weight: float = 1.0

    def score(self, candidates: PaperFeatures) -> np.ndarray:
        scores = _mean_of_top(candidates.dense @ self.positives.T, self.k).astype(np.float64)
        if len(self.negatives) and self.negative_weight:
            scores -= self.negative_weight * _mean_of_top(candidates.dense @ self.negatives.T, self.k)
        return scores

    def nearest(self, candidates: PaperFeatures, n: int) -> np.ndarray:
        """For each candidate, the indices of its n nearest positives, nearest first: the library
        papers a recommendation is explained by."""
        similarities = candidates.dense @ self.positives.T
        return np.argsort(-similarities, axis=1, kind="stable")[:, :n]


@dataclass(frozen=True, slots=True)
class Centroid:
    vector: np.ndarray

    @staticmethod
    def fit(positives: PaperFeatures) -> Centroid:
        mean = positives.dense.mean(axis=0)
        return Centroid((mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32))

    def score(self, candidates: PaperFeatures) -> np.ndarray:
        return (candidates.dense @ self.vector).astype(np.float64)
