"""Papers for a new reader to start a library from: the week's most upvoted papers, then its most
central ones (those whose embedding is closest to the mean of the week's papers of their category:
typical of what each followed category publishes, so a reader finds their field among them). Pure:
ids, upvote counts and embeddings in, the chosen papers with the reason each was chosen out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.interest import cosine_to_mean

MOST_UPVOTED, MOST_CENTRAL = "most upvoted", "most central"


@dataclass(frozen=True, slots=True)
class Starter:
    paper_id: int
    reason: str  # MOST_UPVOTED or MOST_CENTRAL
    upvotes: int


def most_central(vectors: Mapping[int, np.ndarray], n: int, *, leave_out: frozenset[int] = frozenset()) -> list[int]:
    """The `n` papers whose embedding has the highest cosine to the mean direction of all of them
    (ties: the lower id first); those in `leave_out` count towards the mean but are not chosen."""
    if not vectors or n <= 0:
        return []
    similarity = cosine_to_mean(vectors)  # empty when the directions cancel out: then by id alone
    ids = sorted(vectors, key=lambda i: (-similarity.get(i, 0.0), i))
    return [i for i in ids if i not in leave_out][:n]


def starter_papers(pools: Mapping[str, Sequence[int]], upvotes: Mapping[int, int],
                   vectors: Mapping[int, np.ndarray], *, upvoted: int = 5, central: int = 10) -> list[Starter]:
    """Up to `upvoted` papers with upvotes, most first (then the lower id), followed by up to `central`
    others, most central first. `pools` are the week's papers by category (a paper may be in several):
    each category's papers are ranked by closeness to that category's own mean, and the categories take
    turns, so that one large field does not fill the list. A paper without an embedding can be among
    the upvoted, never among the central."""
    candidates = list(dict.fromkeys(i for ids in pools.values() for i in ids))
    voted = sorted((i for i in candidates if upvotes.get(i, 0) > 0), key=lambda i: (-upvotes[i], i))[:upvoted]
    chosen = [Starter(i, MOST_UPVOTED, upvotes[i]) for i in voted]
    taken = set(voted)
    rankings = [iter(most_central({i: vectors[i] for i in ids if i in vectors}, len(ids))) for ids in pools.values()]
    while rankings and len(chosen) < len(voted) + central:
        for ranking in list(rankings):
            paper_id = next((i for i in ranking if i not in taken), None)
            if paper_id is None:
                rankings.remove(ranking)
                continue
            taken.add(paper_id)
            chosen.append(Starter(paper_id, MOST_CENTRAL, upvotes.get(paper_id, 0)))
            if len(chosen) == len(voted) + central:
                break
    return chosen
