""""These are my papers": the papers under one author name, grouped so that namesakes can be told apart.

Two papers go in one group when they share a co-author (the name's own key left out): people who write
together are the strongest sign of one person, as author-disambiguation systems use it. A paper that
shares no co-author with any other (common: one-paper collaborations) joins the group whose categories
it shares most, when exactly one group shares at least half of them; otherwise it stays on its own, for
the reader to judge. Each group says what tells it apart: its frequent co-authors, categories and years.
Pure: papers in, groups out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.identity import name_key
from paperfeed.models import Paper

TOP_COAUTHORS = 5
TOP_CATEGORIES = 3
JOIN_BY_CATEGORIES = 0.5  # share of a lone paper's categories a group must hold for it to join


@dataclass(frozen=True, slots=True)
class NamesakeGroup:
    paper_ids: tuple[int, ...]  # newest first
    coauthors: tuple[str, ...]  # the most frequent, as written on the newest paper that names them
    categories: tuple[str, ...]
    first_year: int | None
    last_year: int | None


def group_namesakes(name: str, papers: Sequence[Paper]) -> list[NamesakeGroup]:
    """The papers that list `name` (case and accents folded), grouped by likely person; the largest
    group first, then the most recent."""
    own = name_key(name)
    mine = [p for p in papers if any(name_key(a) == own for a in p.authors)]
    mine.sort(key=lambda p: (p.day is not None, p.day, p.id), reverse=True)
    coauthors = [{name_key(a) for a in p.authors} - {own, ""} for p in mine]
    parent = list(range(len(mine)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, keys in enumerate(coauthors):
        for key in keys:
            if key in first_with:
                parent[root(i)] = root(first_with[key])
            else:
                first_with[key] = i
    members: dict[int, list[int]] = {}
    for i in range(len(mine)):
        members.setdefault(root(i), []).append(i)
    groups = [sorted(m) for m in members.values()]
    groups = _join_lone_papers(groups, mine)
    summaries = [_summary([mine[i] for i in group], own) for group in groups]
    return sorted(summaries, key=lambda g: (-len(g.paper_ids), -(g.last_year or 0), g.paper_ids))


def _join_lone_papers(groups: list[list[int]], papers: Sequence[Paper]) -> list[list[int]]:
    settled = [g for g in groups if len(g) > 1]
    lone = [g[0] for g in groups if len(g) == 1]
    categories_of = [Counter(c for i in g for c in papers[i].categories) for g in settled]
    joined: dict[int, list[int]] = {}
    alone: list[list[int]] = []
    for i in lone:
        own = set(papers[i].categories)
        shares = [len(own & set(cats)) / len(own) if own else 0.0 for cats in categories_of]
        fitting = [k for k, share in enumerate(shares) if share >= JOIN_BY_CATEGORIES]
        if len(fitting) == 1:
            joined.setdefault(fitting[0], []).append(i)
        else:
            alone.append([i])
    return [sorted(g + joined.get(k, [])) for k, g in enumerate(settled)] + alone


def _summary(papers: Sequence[Paper], own: str) -> NamesakeGroup:
    written: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for paper in papers:  # newest first: a co-author's name as written most recently
        for author in paper.authors:
            key = name_key(author)
            if key and key != own:
                counts[key] += 1
                written.setdefault(key, author)
    categories = Counter(c for p in papers for c in p.categories)
    years = [p.day.year for p in papers if p.day]
    return NamesakeGroup(
        paper_ids=tuple(p.id for p in papers),
        coauthors=tuple(written[k] for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_COAUTHORS]),
        categories=tuple(c for c, _ in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]),
        first_year=min(years, default=None),
        last_year=max(years, default=None),
    )
