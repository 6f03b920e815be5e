"""Trending: a time-decayed vote score. Pure; the store supplies the votes (db/trending.py).

    score(paper) = sum over its votes v of  2 ** (-(now - t_v) / half_life)

Each vote counts 1 when it is cast and half as much every `half_life` after (24 hours by default),
so a paper with 10 votes today outranks one with 30 from three days ago (10 > 30/8). Only votes
inside the chosen window count. Upvotes imported from a source without their times (Hugging Face
reports a count per listing) are taken as cast when the paper was featured: at its `submitted_at`,
or at noon UTC of the listing day. Ties go to the more recent last vote, then the lower paper id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_HALF_LIFE = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class VoteEvent:
    paper_id: int
    at: datetime
    weight: int = 1  # several imported upvotes arrive as one event


@dataclass(frozen=True, slots=True)
class TrendingScore:
    paper_id: int
    score: float
    votes: int  # votes inside the window, undecayed
    last_vote_at: datetime


def decay(age: timedelta, half_life: timedelta = DEFAULT_HALF_LIFE) -> float:
    """What one vote of this age is worth; a vote from the future (clock skew) counts as fresh."""
    return 2.0 ** (-max(age, timedelta(0)) / half_life)


def trending(events: Iterable[VoteEvent], now: datetime, window: timedelta,
             half_life: timedelta = DEFAULT_HALF_LIFE) -> list[TrendingScore]:
    """Papers with a vote inside [now - window, now], best first."""
    start = now - window
    score: dict[int, float] = {}
    votes: dict[int, int] = {}
    last: dict[int, datetime] = {}
    for event in events:
        if event.weight <= 0 or not (start <= event.at <= now):
            continue
        score[event.paper_id] = score.get(event.paper_id, 0.0) + event.weight * decay(now - event.at, half_life)
        votes[event.paper_id] = votes.get(event.paper_id, 0) + event.weight
        if event.paper_id not in last or event.at > last[event.paper_id]:
            last[event.paper_id] = event.at
    ranked = [TrendingScore(pid, score[pid], votes[pid], last[pid]) for pid in score]
    ranked.sort(key=lambda t: (-t.score, -t.last_vote_at.timestamp(), t.paper_id))
    return ranked
