"""Fusion is pure: a table of small rankings and what each method must make of them."""

from __future__ import annotations

import pytest

from paperfeed.search.fusion import FusionWeights, fuse, fuse_many

KEYWORD = [(1, 12.0), (2, 9.0), (3, 3.0)]
SEMANTIC = [(3, 0.91), (4, 0.85), (1, 0.40)]


@pytest.mark.parametrize(
    ("weights", "expected_order"),
    [
        # score fusion, min-max per leg: 1 = 0.5*1 + 0.5*0 ; 3 = 0.5*0 + 0.5*1 ; 2 = 0.5*0.667 ; 4 = 0.5*0.882
        (FusionWeights(keyword=0.5, semantic=0.5, method="score"), [1, 3, 4, 2]),
        (FusionWeights(keyword=1.0, semantic=0.0, method="score"), [1, 2, 3, 4]),
        (FusionWeights(keyword=0.0, semantic=1.0, method="score"), [3, 4, 1, 2]),
        # RRF ignores scales: 1 and 3 appear in both legs and win
        (FusionWeights(keyword=0.5, semantic=0.5, method="rrf"), [1, 3, 2, 4]),
    ],
)
def test_fusion_orders(weights, expected_order):
    assert [pid for pid, _ in fuse(KEYWORD, SEMANTIC, weights)] == expected_order


def test_a_leg_that_returns_nothing_leaves_the_other_ranking_as_it_was():
    assert [pid for pid, _ in fuse(KEYWORD, [], FusionWeights(0.3, 0.7))] == [1, 2, 3]
    assert [pid for pid, _ in fuse([], SEMANTIC, FusionWeights(0.3, 0.7))] == [3, 4, 1]


def test_ties_are_broken_by_id_so_paging_is_stable():
    tied = [(7, 1.0), (5, 1.0), (6, 1.0)]
    assert [pid for pid, _ in fuse(tied, [], FusionWeights(1.0, 0.0))] == [5, 6, 7]


def test_limit_cuts_and_unknown_method_is_refused():
    assert len(fuse(KEYWORD, SEMANTIC, FusionWeights(), limit=2)) == 2
    with pytest.raises(ValueError, match="unknown fusion method"):
        fuse(KEYWORD, SEMANTIC, FusionWeights(method="max"))


def test_fuse_many_weights_each_leg():
    ranked = fuse_many([([(1, 5.0), (2, 1.0)], 0.2), ([(2, 0.9), (1, 0.1)], 0.8)])
    assert [pid for pid, _ in ranked] == [2, 1]
