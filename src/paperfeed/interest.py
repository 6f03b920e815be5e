"""The instance's own interest in new papers, for the lists that would otherwise be empty: a day with
nothing featured, a window with no upvotes. Pure: ids, reader counts and embeddings in, a ranking out.

A paper's place is decided, in this order, by

1. `readers`: how many readers of this instance upvoted, saved or asked for "more like this" of it
   (one reader counts once, however many of these they did);
2. `closeness`, the mean of two cosines, each to a mean direction of unit vectors:
   - `affinity`, to the papers readers here have liked (the instance's taste; absent until there are any),
   - `centrality`, to the pool's own papers (how typical a paper is of the period's topics);
   with no liked papers, closeness is the centrality alone;
3. the order of the pool (newest first, as the feed lists it).

A paper without an embedding (the semantic index still filling) has no closeness and comes after
those that have one, among those with as many readers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.library import Evidence, training_signals_from


@dataclass(frozen=True, slots=True)
class Interest:
    paper_id: int
    readers: int  # readers here who upvoted, saved or rated it "more like this"
    affinity: float | None  # cosine to what readers here liked; None without liked papers or embedding
    centrality: float | None  # cosine to the pool's mean direction; None without an embedding

    @property
    def closeness(self) -> float | None:
        parts = [value for value in (self.affinity, self.centrality) if value is not None]
        return sum(parts) / len(parts) if parts else None


def readers_by_paper(evidence_by_reader: Mapping[int, Iterable[Evidence]]) -> dict[int, int]:
    """Paper id -> how many readers count it a positive, by the library's rule (paperfeed.library:
    saved, upvoted or "more like this", unless that reader also said "less like this")."""
    counts: dict[int, int] = {}
    for evidence in evidence_by_reader.values():
        for paper_id in training_signals_from(evidence).positive_ids:
            counts[paper_id] = counts.get(paper_id, 0) + 1
    return counts


def _unit_rows(vectors: Sequence[np.ndarray]) -> np.ndarray:
    rows = np.vstack([np.asarray(vector, dtype=np.float32) for vector in vectors])
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


def mean_direction(vectors: Sequence[np.ndarray]) -> np.ndarray | None:
    """The unit mean of the vectors' unit directions; None when there are none or they cancel out."""
    if not len(vectors):
        return None
    mean = _unit_rows(vectors).mean(axis=0)
    length = float(np.linalg.norm(mean))
    return mean / length if length > 0 else None


def cosine_to_mean(vectors: Mapping[int, np.ndarray]) -> dict[int, float]:
    """Each vector's cosine to the mean direction of them all (empty when they cancel out)."""
    ids = list(vectors)
    direction = mean_direction([vectors[i] for i in ids])
    if direction is None:
        return {}
    return dict(zip(ids, (_unit_rows([vectors[i] for i in ids]) @ direction).tolist(), strict=True))


def rank_by_interest(pool: Sequence[int], readers: Mapping[int, int], vectors: Mapping[int, np.ndarray],
                     liked: Sequence[np.ndarray]) -> list[Interest]:
    """The papers of `pool`, most interesting first (see the module's doc). `vectors` holds the
    embeddings of the pool's papers that have one; `liked` those of the papers readers here liked."""
    embedded = {i: vectors[i] for i in pool if i in vectors}
    centrality = cosine_to_mean(embedded)
    taste = mean_direction(liked)
    affinity = {}
    if taste is not None and embedded:
        ids = list(embedded)
        affinity = dict(zip(ids, (_unit_rows([embedded[i] for i in ids]) @ taste).tolist(), strict=True))
    ranked = [Interest(i, readers.get(i, 0), affinity.get(i), centrality.get(i)) for i in dict.fromkeys(pool)]
    # sort is stable: among equals, the pool's own order stays
    ranked.sort(key=lambda item: (-item.readers, item.closeness is None, -(item.closeness or 0.0)))
    return ranked
