"""The instance's interest in new papers (paperfeed.interest), as tables: who counts as a reader of a
paper, and the order readers, closeness and the pool's own order give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from paperfeed.interest import mean_direction, rank_by_interest, readers_by_paper
from paperfeed.library import LESS, MORE, SAVED, UPVOTED, Evidence

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def did(paper_id: int, kind: str, minutes: int = 0) -> Evidence:
    return Evidence(paper_id, kind, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(("by_reader", "counts"), [
    ({}, {}),
    ({1: [did(7, SAVED)]}, {7: 1}),
    ({1: [did(7, SAVED), did(7, UPVOTED), did(7, MORE)]}, {7: 1}),  # one reader counts once
    ({1: [did(7, SAVED)], 2: [did(7, UPVOTED)], 3: [did(8, MORE)]}, {7: 2, 8: 1}),
    ({1: [did(7, SAVED), did(7, LESS, 5)]}, {}),  # "less like this" cancels that reader's save
    ({1: [did(7, LESS)], 2: [did(7, SAVED)]}, {7: 1}),  # ...and only that reader's
])
def test_readers_by_paper(by_reader, counts):
    assert readers_by_paper(by_reader) == counts


X, Y = np.array([1.0, 0.0]), np.array([0.0, 1.0])
NEAR_X = np.array([0.9, 0.1])


@pytest.mark.parametrize(("pool", "readers", "vectors", "liked", "order"), [
    # no readers, no embeddings: the pool's own order (newest first)
    ([3, 1, 2], {}, {}, [], [3, 1, 2]),
    # readers first, whatever the closeness
    ([1, 2, 3], {3: 2, 2: 1}, {1: X, 2: Y, 3: Y}, [X], [3, 2, 1]),
    # no readers, no liked papers: the most central first (NEAR_X lies nearest the mean of the three)
    ([1, 2, 3], {}, {1: Y, 2: X, 3: NEAR_X}, [], [3, 2, 1]),
    # liked papers pull towards the instance's taste: Y is liked, and the Y paper comes first
    ([1, 2, 3], {}, {1: Y, 2: X, 3: NEAR_X}, [Y, Y, Y], [1, 3, 2]),
    # a paper without an embedding comes after those with one, among as many readers
    ([9, 1, 2], {}, {1: X, 2: NEAR_X}, [], [1, 2, 9]),
    ([9, 1], {9: 1}, {1: X}, [], [9, 1]),
])
def test_rank_by_interest(pool, readers, vectors, liked, order):
    assert [item.paper_id for item in rank_by_interest(pool, readers, vectors, liked)] == order


def test_closeness_is_the_mean_of_affinity_and_centrality_or_centrality_alone():
    with_taste = rank_by_interest([1, 2], {}, {1: X, 2: NEAR_X}, [Y])
    without = rank_by_interest([1, 2], {}, {1: X, 2: NEAR_X}, [])
    for item in with_taste:
        assert item.closeness == pytest.approx((item.affinity + item.centrality) / 2)
    assert all(item.affinity is None and item.closeness == item.centrality for item in without)


def test_opposite_directions_have_no_mean():
    assert mean_direction([X, -X]) is None and mean_direction([]) is None
