"""Fusing the keyword and semantic legs into one ranking. Pure: rankings in, ranking out.

Two methods, both weighted:
- "score": each leg's scores are min-max normalized over its own top results, then added with
  the leg's weight; a paper a leg did not return counts as that leg's worst (0).
- "rrf": reciprocal rank fusion, weight / (k + rank), which ignores score scales entirely.
Equal-weight RRF is known to lose to a good dense leg on some sets, so both are tuned
(bench/quality.py --tune) and the defaults below are the tuned ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.search.base import Ranked


@dataclass(frozen=True, slots=True)
class FusionWeights:
    keyword: float = 0.5  # tuned on SciFact train (bench/quality.py --tune)
    semantic: float = 0.5
    method: str = "score"  # "score" or "rrf"
    rrf_k: int = 60


def _min_max(ranked: Ranked) -> dict[int, float]:
    if not ranked:
        return {}
    scores = [score for _, score in ranked]
    low, high = min(scores), max(scores)
    span = high - low
    if span <= 0:
        return {paper_id: 1.0 for paper_id, _ in ranked}
    return {paper_id: (score - low) / span for paper_id, score in ranked}


def _rrf(ranked: Ranked, k: int) -> dict[int, float]:
    return {paper_id: 1.0 / (k + rank) for rank, (paper_id, _) in enumerate(ranked, start=1)}


def _combine(parts: Sequence[tuple[dict[int, float], float]], limit: int | None) -> Ranked:
    combined: dict[int, float] = {}
    for scores, weight in parts:
        for paper_id, score in scores.items():
            combined[paper_id] = combined.get(paper_id, 0.0) + weight * score
    ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))  # ties: by id, for a stable order
    return ranked[:limit] if limit is not None else ranked


DEFAULT_WEIGHTS = FusionWeights()


def fuse(
    keyword: Ranked, semantic: Ranked, weights: FusionWeights = DEFAULT_WEIGHTS, limit: int | None = None
) -> Ranked:
    """One ranking from both legs, best first."""
    if weights.method == "rrf":
        return _combine([(_rrf(keyword, weights.rrf_k), weights.keyword),
                         (_rrf(semantic, weights.rrf_k), weights.semantic)], limit)
    if weights.method == "score":
        return _combine([(_min_max(keyword), weights.keyword), (_min_max(semantic), weights.semantic)], limit)
    raise ValueError(f"unknown fusion method {weights.method!r}")


def fuse_many(legs: Sequence[tuple[Ranked, float]], limit: int | None = None) -> Ranked:
    """Weighted score fusion of any number of legs (used by 'more like this')."""
    return _combine([(_min_max(ranked), weight) for ranked, weight in legs], limit)
