"""Choosing a subscriber's papers, and saying why each is there. Pure: the batch's candidates, the
subscriber's interests, the reader's model's ranking (when the subscriber is a reader whose model is
ready) and the papers they were sent before in; picks with reasons out.

A digest has up to three sections. "For you" (FOR_YOU): the window's papers the reader's model calls a
match, best first, at most `for_you_papers`, each with its label, the library papers it is closest to
and the words it shares with them. Then the interests: papers matching the subscriber's saved queries
(the hybrid search's best hits among new papers, at most `query_papers` per query), followed authors
and categories, taken round-robin across the interests so one busy category cannot crowd out a query.
"Trending": the window's most upvoted papers, up to `trending_papers` of the `max_papers`. A paper
already sent to the subscriber is never picked again; a paper matching several interests is
picked once and shows every reason ("matches your query 'x'; new in cs.CL; trending: 12 votes").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from paperfeed.identity import category_keys, name_key
from paperfeed.models import Interest, Paper, Pick, Recommendation

_KIND_ORDER = {"query": 0, "author": 1, "category": 2}  # most specific interests first
FOR_YOU = "for-you"  # the section of papers ranked by the reader's model (digest_papers.section is 16 characters)
FOR_YOU_PAPERS = 10


@dataclass(slots=True)
class Candidates:
    """What one batch can pick from for one look-back window: built once, shared by every subscriber."""

    papers: dict[int, Paper] = field(default_factory=dict)
    by_query: dict[str, list[int]] = field(default_factory=dict)  # saved query -> new papers, best first
    by_category: dict[str, list[int]] = field(default_factory=dict)  # lower-case category or archive -> ids
    by_author: dict[str, list[int]] = field(default_factory=dict)  # name_key -> ids
    trending: list[tuple[int, int]] = field(default_factory=list)  # (paper id, votes), best first
    votes: dict[int, int] = field(default_factory=dict)


def build_candidates(new_papers: Iterable[Paper], trending: Sequence[tuple[Paper, int]],
                     query_hits: Mapping[str, Sequence[Paper]]) -> Candidates:
    """Index the window's new papers by category and author, most upvoted first, then newest."""
    candidates = Candidates(trending=[(paper.id, votes) for paper, votes in trending])
    candidates.votes = dict(candidates.trending)
    for paper, _ in trending:
        candidates.papers[paper.id] = paper
    new = list(new_papers)
    for paper in new:
        candidates.papers[paper.id] = paper
    new.sort(key=lambda p: (-candidates.votes.get(p.id, 0), -(p.day or date.min).toordinal(),
                            -p.id))
    for paper in new:
        for key in category_keys(paper.categories):
            candidates.by_category.setdefault(key, []).append(paper.id)
        for key in {name_key(name) for name in paper.authors}:
            candidates.by_author.setdefault(key, []).append(paper.id)
    for query, hits in query_hits.items():
        candidates.by_query[query] = [paper.id for paper in hits]
        for paper in hits:
            candidates.papers[paper.id] = paper
    return candidates


def _reason(interest: Interest) -> str:
    if interest.kind == "query":
        return f"matches your query '{interest.value}'"
    if interest.kind == "author":
        return f"new paper by {interest.value}"
    return f"new in {interest.value}"


def _trending_reason(votes: int) -> str:
    return f"trending: {votes} vote" if votes == 1 else f"trending: {votes} votes"


def _ranked_ids(interest: Interest, candidates: Candidates) -> list[int]:
    if interest.kind == "query":
        return candidates.by_query.get(interest.value, [])
    if interest.kind == "author":
        return candidates.by_author.get(name_key(interest.value), [])
    return candidates.by_category.get(interest.value.lower(), [])


def _matches(interest: Interest, paper: Paper, candidates: Candidates) -> bool:
    if interest.kind == "query":
        return paper.id in candidates.by_query.get(interest.value, ())
    if interest.kind == "author":
        return name_key(interest.value) in {name_key(name) for name in paper.authors}
    return interest.value.lower() in category_keys(paper.categories)


def _reasons(paper: Paper, interests: Sequence[Interest], candidates: Candidates,
             trending_first: bool = False) -> tuple[str, ...]:
    reasons = [_reason(interest) for interest in interests if _matches(interest, paper, candidates)]
    if paper.id in candidates.votes:
        trending = _trending_reason(candidates.votes[paper.id])
        reasons = [trending, *reasons] if trending_first else [*reasons, trending]
    return tuple(reasons)


def compose_digest(interests: Sequence[Interest], candidates: Candidates, sent: Collection[int], *,
                   max_papers: int = 20, trending_papers: int = 5, query_papers: int = 5,
                   for_you: Sequence[tuple[int, Recommendation]] = (),
                   for_you_papers: int = FOR_YOU_PAPERS) -> list[Pick]:
    """The subscriber's picks in digest order; empty when nothing is new for them (then no digest).
    `for_you` is the reader's model's ranking of the window, best first, each paper with why."""
    interests = sorted((i for i in interests if i.kind in _KIND_ORDER),  # a collection interest picks no papers
                       key=lambda i: _KIND_ORDER[i.kind])  # stable: the subscriber's order within a kind
    trending_left = [pid for pid, _ in candidates.trending if pid not in sent]
    trending_room = min(trending_papers, len(trending_left), max_papers)

    recommended = [(pid, why) for pid, why in dict(for_you).items() if pid in candidates.papers and pid not in sent]
    recommended = recommended[:max(0, min(for_you_papers, max_papers - trending_room))]
    taken: set[int] = {pid for pid, _ in recommended}
    picks = [Pick(candidates.papers[pid], (why.match, *_reasons(candidates.papers[pid], interests, candidates)),
                  FOR_YOU, why) for pid, why in recommended]
    budget = max_papers - trending_room - len(picks)

    # Round-robin over the interests: each turn, every interest adds its best paper not yet picked or sent.
    chosen: list[int] = []
    queues = [(iter(_ranked_ids(i, candidates)), query_papers if i.kind == "query" else max_papers) for i in interests]
    counts = [0] * len(queues)
    active = list(range(len(queues)))
    while len(chosen) < budget and active:
        for slot in list(active):
            if len(chosen) >= budget:
                break
            ids, cap = queues[slot]
            paper_id = next((pid for pid in ids if pid not in sent and pid not in taken), None)
            if paper_id is None:
                active.remove(slot)
                continue
            chosen.append(paper_id)
            taken.add(paper_id)
            counts[slot] += 1
            if counts[slot] >= cap:
                active.remove(slot)
    picks += [Pick(candidates.papers[pid], _reasons(candidates.papers[pid], interests, candidates)) for pid in chosen]

    room = max_papers - len(picks)
    trending = [pid for pid in trending_left if pid not in taken][:min(trending_papers, room)]
    picks += [Pick(candidates.papers[pid], _reasons(candidates.papers[pid], interests, candidates, True), "trending")
              for pid in trending]
    return picks
