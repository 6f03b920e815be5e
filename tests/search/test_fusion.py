"""Fusion is pure: a table of small rankings and what each method must make of them."""

from __future__ import annotations

import pytest

from paperfeed.search.fusion import FusionWeights, fuse, fuse_bounded, fuse_many

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


# --- bounded: both legs judge every candidate, on fixed scales ----------------------------------------

EVEN = FusionWeights(keyword=0.5, semantic=0.5, method="bounded", dense_floor=0.0)


def order(ranked):
    return [pid for pid, _ in ranked]


def test_a_paper_not_embedded_yet_is_not_punished_for_it():
    # 1 has the best BM25 and no vector; 2 and 3 are embedded with an ordinary cosine.
    keyword = {1: 10.0, 2: 9.0, 3: 8.0}
    dense = {2: 0.5, 3: 0.5}
    assert order(fuse_bounded(keyword, dense, EVEN)) == [1, 2, 3]
    # Under min-max fusion of the legs' lists, the missing vector counted as the semantic leg's worst.
    assert order(fuse([(1, 10.0), (2, 9.0), (3, 8.0)], [(2, 0.5), (3, 0.5)], FusionWeights(method="score")))[0] != 1


def test_a_weak_best_semantic_match_is_not_handed_full_weight():
    # 4 is the semantic leg's best match but a poor one (cosine 0.3) sharing none of the words.
    keyword = {1: 10.0, 2: 9.0, 4: 0.0}
    dense = {1: 0.25, 2: 0.28, 4: 0.3}
    assert order(fuse_bounded(keyword, dense, EVEN))[-1] == 4
    min_max = order(fuse([(1, 10.0), (2, 9.0)], [(4, 0.3), (2, 0.28), (1, 0.25)], FusionWeights(method="score")))
    assert min_max.index(4) < min_max.index(2)  # min-max made the poor best match worth a full leg


def test_a_strong_semantic_match_without_the_words_still_ranks():
    keyword = {1: 10.0, 2: 2.0, 5: 0.0}
    dense = {1: 0.2, 2: 0.2, 5: 0.9}
    assert order(fuse_bounded(keyword, dense, EVEN)) == [1, 5, 2]


def test_scores_are_on_fixed_scales_so_other_candidates_do_not_move_one():
    alone = dict(fuse_bounded({1: 10.0, 2: 5.0}, {1: 0.6, 2: 0.4}, EVEN))
    with_more = dict(fuse_bounded({1: 10.0, 2: 5.0, 3: 1.0}, {1: 0.6, 2: 0.4, 3: 0.05}, EVEN))
    assert alone[1] == pytest.approx(with_more[1]) and alone[2] == pytest.approx(with_more[2])


def test_the_cosine_floor_counts_as_no_match():
    floored = FusionWeights(keyword=0.5, semantic=0.5, method="bounded", dense_floor=0.2)
    scores = dict(fuse_bounded({1: 4.0, 2: 4.0}, {1: 0.1, 2: 0.2}, floored))
    assert scores[1] == scores[2] == pytest.approx(0.5)
