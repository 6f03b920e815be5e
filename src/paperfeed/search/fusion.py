"""Fusing the keyword and semantic legs into one ranking. Pure: rankings in, ranking out.

Three methods, all weighted:
- "bounded" (the default, `fuse_bounded`): every candidate of either leg judged by both legs (the
  search service's `_judge_union`: its BM25 score, 0 when it has none of the words, and its exact
  cosine from the stored vectors), each put on a fixed scale, then added with the leg's weight. BM25
  is divided by the best candidate's (its theoretical minimum is 0); cosine is mapped from
  [dense_floor, 1] to [0, 1], fixed bounds as in Bruch et al. 2023 ("An Analysis of Fusion Functions
  for Hybrid Retrieval"), so a poor best match is not handed full weight. A paper not embedded yet is
  given the scaled cosine that the embedded candidates' least-squares line predicts for its BM25, and
  the semantic weight shrinks with the share of the keyword leg's finds that are embedded: an
  unembedded paper is neither punished for the gap nor promoted by it, whatever share is embedded.
- "score": each leg's scores are min-max normalized over its own top results, then added with
  the leg's weight; a paper a leg did not return counts as that leg's worst (0).
- "rrf": reciprocal rank fusion, weight / (k + rank), which ignores score scales entirely.
The weights and the floor are chosen by cross-validation (bench/quality.py --cv 5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paperfeed.search.base import Ranked


@dataclass(frozen=True, slots=True)
class FusionWeights:
    # The defaults are the settings' (PAPERFEED_FUSION_*): chosen by 5-fold cross-validation on SciFact
    # train (bench/quality.py --cv 5), the choice of the same procedure over all its queries.
    keyword: float = 0.2
    semantic: float = 0.8
    method: str = "bounded"  # "bounded", "score" or "rrf"
    rrf_k: int = 60
    dense_floor: float = -1.0  # "bounded": the cosine that counts as no match at all


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
MIN_POINTS_FOR_A_LINE = 3


def fuse_bounded(keyword: Mapping[int, float], dense: Mapping[int, float], weights: FusionWeights = DEFAULT_WEIGHTS,
                 limit: int | None = None) -> Ranked:
    """One ranking of every candidate in `keyword` (BM25 of each: 0 for none of the query's words) from
    its BM25 and, where the paper is embedded, its cosine in `dense`; best first."""
    best = max(keyword.values(), default=0.0)
    lexical = {pid: score / best if best > 0 else 0.0 for pid, score in keyword.items()}
    span = 1.0 - weights.dense_floor
    semantic = {pid: min(1.0, max(0.0, (cosine - weights.dense_floor) / span)) for pid, cosine in dense.items()
                if pid in lexical}
    expected = _expected_semantic(lexical, semantic)
    # The semantic leg counts in proportion to the share of the keyword leg's finds it can judge: with a
    # few papers embedded its scores (and the guesses for the rest) would mostly reorder noise.
    found = [pid for pid, score in lexical.items() if score > 0]
    share = sum(pid in semantic for pid in found) / len(found) if found else 1.0
    semantic_weight = weights.semantic * share
    keyword_weight = weights.keyword + weights.semantic - semantic_weight
    combined = {pid: keyword_weight * lexical[pid] + semantic_weight * semantic.get(pid, expected(lexical[pid]))
                for pid in lexical}
    ranked = sorted(combined.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:limit] if limit is not None else ranked


def _expected_semantic(lexical: Mapping[int, float], semantic: Mapping[int, float]):
    """What an unembedded candidate is assumed to score on the semantic scale, given its keyword score:
    the least-squares line through the embedded candidates that share a word with the query (their
    mean while there are too few of them to draw one; it never falls as the keyword score rises)."""
    points = [(lexical[pid], value) for pid, value in semantic.items() if lexical[pid] > 0]
    if not points:
        points = [(lexical[pid], value) for pid, value in semantic.items()]
    if not points:
        return lambda _score: 0.0
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = 0.0
    if len(points) >= MIN_POINTS_FOR_A_LINE and spread > 0:
        slope = max(0.0, sum((x - mean_x) * (y - mean_y) for x, y in points) / spread)
    return lambda score: min(1.0, max(0.0, mean_y + slope * (score - mean_x)))


def fuse(
    keyword: Ranked, semantic: Ranked, weights: FusionWeights = DEFAULT_WEIGHTS, limit: int | None = None
) -> Ranked:
    """One ranking from both legs' own top lists, best first ("bounded" here sees only what the legs
    returned: a paper one leg did not return counts as that leg's worst; the search service judges
    the union instead, see fuse_bounded)."""
    if weights.method == "bounded":
        floor = weights.dense_floor
        keyword_scores = {pid: 0.0 for pid, _ in semantic} | dict(keyword)
        dense = {pid: floor for pid, _ in keyword} | dict(semantic)
        return fuse_bounded(keyword_scores, dense, weights, limit)
    if weights.method == "rrf":
        return _combine([(_rrf(keyword, weights.rrf_k), weights.keyword),
                         (_rrf(semantic, weights.rrf_k), weights.semantic)], limit)
    if weights.method == "score":
        return _combine([(_min_max(keyword), weights.keyword), (_min_max(semantic), weights.semantic)], limit)
    raise ValueError(f"unknown fusion method {weights.method!r}")


def fuse_many(legs: Sequence[tuple[Ranked, float]], limit: int | None = None) -> Ranked:
    """Weighted score fusion of any number of legs (used by 'more like this')."""
    return _combine([(_min_max(ranked), weight) for ranked, weight in legs], limit)
