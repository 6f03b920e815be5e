"""Choosing papers for one subscriber: reasons, interests taken in turn, caps, papers never sent twice,
nothing when nothing is new. Pure: candidates are built from plain Paper objects."""

from __future__ import annotations

from datetime import date

from factories import make_paper
from paperfeed.digest.compose import build_candidates, compose_digest
from paperfeed.models import Interest

DAY = date(2026, 11, 23)


def ids(picks) -> list[int]:
    return [pick.paper.id for pick in picks]


def test_each_pick_says_why_it_is_there():
    by_query, in_category, hot = make_paper(1), make_paper(3), make_paper(4)
    by_author = make_paper(2, authors=("Yoshua Bengio",))
    candidates = build_candidates(
        [by_query, by_author, in_category],
        trending=[(hot, 42)],
        query_hits={"diffusion distillation": [by_query]},
    )
    interests = [Interest("query", "diffusion distillation"), Interest("author", "Yoshua Bengio"),
                 Interest("category", "cs.CV")]
    picks = compose_digest(interests, candidates, sent=set())
    reasons = {pick.paper.id: pick.reason for pick in picks}
    assert reasons == {
        1: "matches your query 'diffusion distillation'",
        2: "new paper by Yoshua Bengio",
        4: "trending: 42 votes",
    }
    assert [pick.section for pick in picks] == ["interests", "interests", "trending"]


def test_a_paper_matching_several_interests_is_picked_once_with_every_reason():
    both = make_paper(1, categories=("cs.CL", "cs.LG"), authors=("Yoshua Bengio",))
    candidates = build_candidates([both], trending=[(both, 7)], query_hits={"attention": [both]})
    interests = [Interest("category", "cs.LG"), Interest("author", "Yoshua Bengio"), Interest("query", "attention")]
    picks = compose_digest(interests, candidates, sent=set())
    assert ids(picks) == [1]
    assert picks[0].reason == ("matches your query 'attention'; new paper by Yoshua Bengio; new in cs.LG; "
                               "trending: 7 votes")


def test_papers_sent_before_are_never_picked_again():
    papers = [make_paper(i, categories=("cs.CL",)) for i in range(1, 6)]
    candidates = build_candidates(papers, trending=[(papers[0], 3)], query_hits={})
    picks = compose_digest([Interest("category", "cs.CL")], candidates, sent={1, 2, 3})
    assert ids(picks) == [5, 4]  # newest first among equals: higher id; 1 is trending but was sent


def test_nothing_new_means_no_picks():
    candidates = build_candidates([make_paper(1, categories=("math.AG",))], trending=[], query_hits={"x": []})
    assert compose_digest([Interest("category", "cs.CL"), Interest("query", "x")], candidates, sent=set()) == []
    in_cl = make_paper(1, categories=("cs.CL",))
    everything_sent = build_candidates([in_cl], trending=[(in_cl, 5)], query_hits={})
    assert compose_digest([Interest("category", "cs.CL")], everything_sent, sent={1}) == []


def test_interests_take_turns_so_a_busy_category_cannot_crowd_out_a_query():
    busy = [make_paper(i, categories=("cs.LG",)) for i in range(1, 31)]
    hits = [make_paper(100 + i, categories=("q-bio.BM",)) for i in range(3)]
    candidates = build_candidates(busy + hits, trending=[], query_hits={"protein folding": hits})
    interests = [Interest("category", "cs.LG"), Interest("query", "protein folding")]
    picks = compose_digest(interests, candidates, sent=set(), max_papers=6, trending_papers=0)
    assert len(picks) == 6
    assert set(ids(picks)) >= {100, 101, 102}  # every query hit made it, though cs.LG alone could fill the digest


def test_a_saved_query_adds_at_most_query_papers():
    hits = [make_paper(i) for i in range(1, 11)]
    candidates = build_candidates([], trending=[], query_hits={"llm": hits})
    picks = compose_digest([Interest("query", "llm")], candidates, sent={1}, query_papers=3)
    assert ids(picks) == [2, 3, 4]  # the search's order, skipping what was sent


def test_trending_fills_its_share_and_the_total_is_capped():
    news = [make_paper(i, categories=("cs.CL",)) for i in range(1, 30)]
    hot = [make_paper(200 + i, categories=("physics.optics",)) for i in range(5)]
    candidates = build_candidates(news, trending=[(p, 50 - i) for i, p in enumerate(hot)], query_hits={})
    picks = compose_digest([Interest("category", "cs")], candidates, sent={200}, max_papers=8, trending_papers=3)
    assert len(picks) == 8
    assert [p.paper.id for p in picks if p.section == "trending"] == [201, 202, 203]


def test_category_interests_match_cross_lists_and_whole_archives_in_any_case():
    cross_listed = make_paper(1, categories=("stat.ML", "cs.LG"))
    candidates = build_candidates([cross_listed, make_paper(2, categories=("math.AG",))], trending=[], query_hits={})
    assert ids(compose_digest([Interest("category", "cs.lg")], candidates, sent=set())) == [1]
    assert ids(compose_digest([Interest("category", "stat")], candidates, sent=set())) == [1]
    assert ids(compose_digest([Interest("category", "math")], candidates, sent=set())) == [2]


def test_followed_authors_match_without_accents_or_case():
    candidates = build_candidates([make_paper(1, authors=("Bernhard Schölkopf",))], trending=[], query_hits={})
    picks = compose_digest([Interest("author", "bernhard scholkopf")], candidates, sent=set())
    assert ids(picks) == [1] and picks[0].reason == "new paper by bernhard scholkopf"


def test_category_papers_come_most_upvoted_then_newest_first():
    old, new, voted = [make_paper(n, categories=("cs.CL",), announced_on=day)
                       for n, day in ((1, date(2026, 11, 21)), (2, DAY), (3, date(2026, 11, 21)))]
    candidates = build_candidates([old, new, voted], trending=[(voted, 4)], query_hits={})
    picks = compose_digest([Interest("category", "cs.CL")], candidates, sent=set(), trending_papers=0)
    assert ids(picks) == [3, 2, 1]
