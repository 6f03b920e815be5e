"""From a reader's raw scores to numbers that mean the same for every reader.

Both rest on a reference: a random sample of store papers the model was not trained on (held out
from its negatives). A component's score is put in standard units of that reference (z-scores), so
components with different scales add up; the combined score is then read as its rank among the
reference, so "strong match" means "scores above 99 in 100 random store papers" whoever the reader is
and whatever their scores' scale (Platt scaling would need labelled outcomes per reader, which a
library of saved papers does not give).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class Match(enum.Enum):
    STRONG = "strong match"
    WEAK = "weak match"


@dataclass(frozen=True, slots=True)
class Standardizer:
    mean: float
    scale: float

    @staticmethod
    def fit(reference_scores: np.ndarray) -> Standardizer:
        scale = float(np.std(reference_scores))
        return Standardizer(float(np.mean(reference_scores)), scale if scale > 1e-12 else 1.0)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return (scores - self.mean) / self.scale


@dataclass(frozen=True, slots=True)
class Calibration:
    """The reference's combined scores, sorted; labels by the share of them a score beats."""

    reference: np.ndarray
    strong_above: float = 0.99  # share of random store papers a strong match outscores
    weak_above: float = 0.95

    @staticmethod
    def fit(reference_scores: np.ndarray, strong_above: float = 0.99, weak_above: float = 0.95) -> Calibration:
        if not 0.0 < weak_above <= strong_above < 1.0:
            raise ValueError("need 0 < weak_above <= strong_above < 1")
        return Calibration(np.sort(np.asarray(reference_scores, dtype=np.float64)), strong_above, weak_above)

    def percentile(self, scores: np.ndarray) -> np.ndarray:
        """Share of the reference each score is strictly above, in [0, 1]."""
        if len(self.reference) == 0:
            return np.zeros(len(scores))
        return np.searchsorted(self.reference, scores, side="left") / len(self.reference)

    def labels(self, scores: np.ndarray) -> list[Match | None]:
        return [self.label_of(share) for share in self.percentile(scores)]

    def label_of(self, share: float) -> Match | None:
        """The label of a score that is above this share of the reference (a kept percentile)."""
        return Match.STRONG if share >= self.strong_above else Match.WEAK if share >= self.weak_above else None
