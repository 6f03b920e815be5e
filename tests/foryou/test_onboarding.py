"""foryou.onboarding: the week's most upvoted papers first, then the most central (closest to the mean
direction of all the week's embeddings), never one twice."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.foryou.onboarding import MOST_CENTRAL, MOST_UPVOTED, most_central, starter_papers

# Five papers on a circle: 1-3 cluster around the x axis, 4 and 5 stray; the mean points along x.
VECTORS = {1: np.array([1.0, 0.0]), 2: np.array([0.9, 0.1]), 3: np.array([0.9, -0.2]),
           4: np.array([0.0, 1.0]), 5: np.array([-0.3, -1.0])}


@pytest.mark.parametrize(("vectors", "n", "leave_out", "expected"), [
    (VECTORS, 3, frozenset(), [1, 2, 3]),
    (VECTORS, 2, frozenset({1}), [2, 3]),  # left out, though it counts towards the mean
    (VECTORS, 10, frozenset(), [1, 2, 3, 4, 5]),
    ({7: np.array([2.0, 0.0]), 3: np.array([1.0, 0.0])}, 2, frozenset(), [3, 7]),  # ties: lower id first
    ({1: np.array([1.0, 0.0]), 2: np.array([-1.0, 0.0])}, 1, frozenset(), [1]),  # no mean direction: by id
    ({}, 3, frozenset(), []),
    (VECTORS, 0, frozenset(), []),
])
def test_most_central(vectors, n, leave_out, expected):
    assert most_central(vectors, n, leave_out=leave_out) == expected


def test_the_mean_is_of_every_paper_not_of_those_left():
    # Without 1 and 2 the mean of 3, 4, 5 would favour 4; with them it stays along x, so 3 comes first.
    assert most_central(VECTORS, 1, leave_out=frozenset({1, 2})) == [3]


def test_upvoted_papers_come_first_then_the_central_ones():
    upvotes = {4: 3, 5: 7, 2: 3}
    chosen = starter_papers({"cs.CV": [1, 2, 3, 4, 5, 6]}, upvotes, VECTORS, upvoted=2, central=2)
    assert [(s.paper_id, s.reason, s.upvotes) for s in chosen] == [
        (5, MOST_UPVOTED, 7), (2, MOST_UPVOTED, 3),  # most votes, then the lower id among equals
        (1, MOST_CENTRAL, 0), (3, MOST_CENTRAL, 0),  # 4 has votes but was not among the two most upvoted
    ]


def test_categories_take_turns_each_ranked_by_its_own_mean():
    # "a" (1-4) has its mean at about 17 degrees: 2, 1, 3, 4 by closeness. "b" (5, 4, 3; 6 has no
    # embedding) has its mean at about -14 degrees: 3, 5, 4. Turns: a's 2, b's 3, a's 1, b's 5, and a's
    # next, 3, was taken by b: 4.
    pools = {"a": [1, 2, 3, 4], "b": [5, 4, 3, 6]}
    chosen = starter_papers(pools, {}, VECTORS, central=5)
    assert [s.paper_id for s in chosen] == [2, 3, 1, 5, 4]


def test_only_the_given_papers_are_chosen_and_a_paper_without_an_embedding_only_by_votes():
    chosen = starter_papers({"a": [6, 4, 4, 5]}, {6: 1}, VECTORS, upvoted=5, central=5)
    assert [(s.paper_id, s.reason) for s in chosen] == [(6, MOST_UPVOTED), (4, MOST_CENTRAL), (5, MOST_CENTRAL)]
    assert starter_papers({}, {}, VECTORS) == []
    assert starter_papers({"a": [1, 2], "b": []}, {}, VECTORS, central=5) == starter_papers({"a": [1, 2]}, {}, VECTORS)
