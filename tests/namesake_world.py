"""Papers by one name written by two people ("Ada Namesake" in vision with Xavier Lens, and in
economics with Pat Ledger), for the pages that group namesakes apart (/library/mine)."""

from __future__ import annotations

from datetime import date

from factories import make_record
from for_you_world import TOPICS

NAMESAKE = "Ada Namesake"


def namesake_records() -> tuple[list, list]:
    """(three vision papers, two economics papers), September 2026, all by NAMESAKE."""
    def paper(n, coauthor, category, sentence):
        return make_record(arxiv_id=f"2609.{n:05d}", title=f"{sentence.capitalize()}: part {n}",
                           abstract=sentence.capitalize() + ".", categories=(category,),
                           authors=(NAMESAKE, coauthor), announced_on=date(2026, 9, n), published_on=date(2026, 9, n))
    vision = [paper(n, "Xavier Lens", "cs.CV", TOPICS["diffusion"][2][0]) for n in (1, 2, 3)]
    economics = [paper(n, "Pat Ledger", "econ.GN", TOPICS["economics"][2][0]) for n in (11, 12)]
    return vision, economics
