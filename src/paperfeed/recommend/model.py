"""The reader model: one reader's positives (saved, upvoted, "more like this") against their explicit
negatives ("less like this") and random store papers, as a weighted sum of standardized rankers.

    score(paper) = sum over components c of  weight_c * (raw_c(paper) - mean_c) / sd_c

where mean_c and sd_c are the component's scores over the reference (random store papers held out
from the negatives; calibration.py), so the weights mean the same for every reader. The components
and their settings were chosen by bench/recommend.py --tune (k-fold over readers); see the README.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from paperfeed.errors import InvalidInput
from paperfeed.recommend.calibration import Calibration, Match, Standardizer
from paperfeed.recommend.features import PaperFeatures
from paperfeed.recommend.scorers import (
    DENSE,
    SPARSE,
    Centroid,
    LinearScorer,
    NearestItems,
    class_balanced_weights,
    fit_linear,
)


class NotEnoughToLearn(InvalidInput):
    """The reader has no positives yet: nothing to rank by (show categories and trending instead)."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Defaults chosen by bench/recommend.py --tune (5-fold CV over readers; README, "Recommendation")."""

    dense_weight: float = 0.2  # logistic regression on the embeddings
    dense_c: float = 10.0
    sparse_weight: float = 0.4  # logistic regression on TF-IDF rows (skipped when features have none)
    sparse_c: float = 3.0
    nearest_weight: float = 0.4  # cosine to the nearest library paper (k=1: the max)
    nearest_k: int = 1
    centroid_weight: float = 0.0  # cosine to the library's mean: no gain in the CV, off
    random_weight: float = 0.8  # a random store negative counts this much of an explicit one
    # The nearest-items ranker compares with the most recent positives only: its scoring cost grows
    # with them (5,000 candidates x 100 positives is ~8 ms on one core); the linear rankers see all.
    nearest_limit: int = 100
    random_negatives: int = 2000  # store papers a caller should draw as negatives...
    reference_papers: int = 1000  # ...and, disjoint from them, as the reference


DEFAULT_SETTINGS = ModelSettings()


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    weight: float
    scorer: object  # has .score(PaperFeatures) -> np.ndarray
    standardize: Standardizer


@dataclass(frozen=True, slots=True)
class ReaderModel:
    components: tuple[Component, ...]
    calibration: Calibration
    nearest: NearestItems  # also explains a recommendation by its closest library papers
    positives: int
    explicit_negatives: int

    def component_scores(self, candidates: PaperFeatures) -> dict[str, np.ndarray]:
        """Each component's standardized scores of the candidates (before weighting)."""
        return {part.name: part.standardize(part.scorer.score(candidates)) for part in self.components}

    def score(self, candidates: PaperFeatures) -> np.ndarray:
        """One score per candidate row, higher is closer to the reader; comparable across readers."""
        total = np.zeros(len(candidates))
        for part in self.components:
            total += part.weight * part.standardize(part.scorer.score(candidates))
        return total

    def percentile(self, scores: np.ndarray) -> np.ndarray:
        """Share of random store papers each score is above: 0.99 = in the reader's top 1% of the store."""
        return self.calibration.percentile(scores)

    def labels(self, scores: np.ndarray) -> list[Match | None]:
        return self.calibration.labels(scores)

    def closest_positives(self, candidates: PaperFeatures, n: int = 3) -> np.ndarray:
        """Row indices into the positives given to fit(), the n closest to each candidate."""
        offset = self.positives - len(self.nearest.positives)  # fit() kept only the most recent
        return self.nearest.nearest(candidates, n) + offset


def fit(
    positives: PaperFeatures,
    random_negatives: PaperFeatures,
    reference: PaperFeatures,
    *,
    explicit_negatives: PaperFeatures | None = None,
    settings: ModelSettings = DEFAULT_SETTINGS,
    start: Mapping[str, LinearScorer] | None = None,
) -> ReaderModel:
    """Fit one reader's model. `positives` oldest first; `random_negatives` and `reference` are disjoint
    random samples of the store (about settings.random_negatives and settings.reference_papers rows)
    that leave out the reader's own papers. `start`: the reader's last linear rankers by name ("dense",
    "sparse"), where their fits begin (a refit after a rating). Raises NotEnoughToLearn without positives."""
    start = start or {}
    if len(positives) == 0:
        raise NotEnoughToLearn("nothing to learn from yet: save, upvote or rate a paper first")
    explicit = explicit_negatives if explicit_negatives is not None else PaperFeatures.empty(
        positives.dim, None if positives.sparse is None else positives.sparse.shape[1])
    nearest = NearestItems(positives.dense[-settings.nearest_limit:], explicit.dense, settings.nearest_k)
    scorers: list[tuple[str, float, object]] = [("nearest", settings.nearest_weight, nearest)]
    if settings.centroid_weight:
        scorers.append(("centroid", settings.centroid_weight, Centroid.fit(positives)))
    if len(explicit) + len(random_negatives):
        training = PaperFeatures.stack([positives, explicit, random_negatives])  # one copy for both fits
        labels = np.concatenate([np.ones(len(positives)), np.zeros(len(training) - len(positives))])
        weights = class_balanced_weights(len(positives), len(explicit), len(random_negatives), settings.random_weight)
        if settings.dense_weight:
            dense = fit_linear(training, labels, weights, space=DENSE, c=settings.dense_c, start=start.get("dense"))
            scorers.append(("dense", settings.dense_weight, dense))
        if settings.sparse_weight and training.sparse is not None:
            sparse = fit_linear(training, labels, weights, space=SPARSE, c=settings.sparse_c,
                                start=start.get("sparse"))
            scorers.append(("sparse", settings.sparse_weight, sparse))
    components = []
    reference_total = np.zeros(len(reference))
    for name, weight, scorer in scorers:
        if not weight:
            continue
        raw = scorer.score(reference)
        standardize = Standardizer.fit(raw) if len(raw) else Standardizer(0.0, 1.0)
        components.append(Component(name, weight, scorer, standardize))
        reference_total += weight * standardize(raw)
    return ReaderModel(tuple(components), Calibration.fit(reference_total), nearest, len(positives), len(explicit))
