"""group_namesakes: the papers under one name split by who wrote them with whom, lone papers placed by
their categories only when one group clearly fits, and what tells each group apart."""

from __future__ import annotations

from datetime import date

from factories import make_paper
from paperfeed.namesakes import group_namesakes

# Two people called Wei Zhang: one in vision with Li and Chen, one in astrophysics with Okafor and Silva.
VISION = [
    make_paper(1, authors=("Wei Zhang", "Li Na", "Chen Bo"), categories=("cs.CV",), announced_on=date(2023, 3, 1)),
    make_paper(2, authors=("Chen Bo", "WEI ZHANG"), categories=("cs.CV", "cs.LG"), announced_on=date(2024, 5, 1)),
    make_paper(3, authors=("Li Na", "Wéi Zhāng", "Ravi Kumar"), categories=("cs.CV",), announced_on=date(2022, 1, 9)),
]
ASTRO = [
    make_paper(4, authors=("Ada Okafor", "Wei Zhang"), categories=("astro-ph.GA",), announced_on=date(2021, 6, 1)),
    make_paper(5, authors=("Wei Zhang", "Ada Okafor", "João Silva"), categories=("astro-ph.GA", "astro-ph.CO"),
               announced_on=date(2020, 2, 2)),
]


def test_shared_coauthors_make_one_person_and_namesakes_stay_apart():
    groups = group_namesakes("wei zhang", VISION + ASTRO)
    assert [g.paper_ids for g in groups] == [(2, 1, 3), (4, 5)]  # largest first, each newest first
    vision, astro = groups
    assert vision.coauthors[:2] == ("Chen Bo", "Li Na") and "Ravi Kumar" in vision.coauthors
    assert vision.categories == ("cs.CV", "cs.LG") and (vision.first_year, vision.last_year) == (2022, 2024)
    assert astro.coauthors == ("Ada Okafor", "João Silva") and astro.categories[0] == "astro-ph.GA"


def test_a_lone_paper_joins_the_one_group_its_categories_fit():
    lone = make_paper(6, authors=("Wei Zhang", "Someone New"), categories=("astro-ph.GA",),
                      announced_on=date(2022, 8, 8))
    groups = group_namesakes("Wei Zhang", VISION + ASTRO + [lone])
    assert [g.paper_ids for g in groups] == [(2, 1, 3), (6, 4, 5)]


def test_a_lone_paper_that_fits_two_groups_or_none_stays_alone():
    both = make_paper(7, authors=("Wei Zhang",), categories=("cs.CV", "astro-ph.GA"))
    neither = make_paper(8, authors=("Wei Zhang", "X Y"), categories=("q-bio.NC",))
    groups = group_namesakes("Wei Zhang", VISION + ASTRO + [both, neither])
    assert sorted(g.paper_ids for g in groups if len(g.paper_ids) == 1) == [(7,), (8,)]


def test_papers_without_the_name_are_left_out_and_nothing_is_no_groups():
    other = make_paper(9, authors=("Wei Zhangsun",), categories=("cs.CV",))
    assert all(9 not in g.paper_ids for g in group_namesakes("Wei Zhang", VISION + [other]))
    assert group_namesakes("Nobody Here", VISION) == []
    assert group_namesakes("", VISION) == []
