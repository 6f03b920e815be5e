"""A reader's library, the rules alone (pure): what a collection name and a note may be, what a
rating means, and what the reader's model learns from.

    positives = saved ∪ upvoted ∪ rated "more like this", minus rated "less like this"
    negatives = rated "less like this"

db/library.py and db/ratings.py store and read what these rules describe; the web pages, the API,
the CLI and the recommendation model all go through them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from paperfeed.errors import InvalidInput
from paperfeed.labels import clean_label

MAX_NOTE = 2000  # characters of a private note
MAX_COLLECTION_NAME = 100  # characters
MAX_COLLECTIONS = 500  # per reader: enough for any real use, a bound for a script gone wrong

# A private rating: "more like this" (+1) or "less like this" (-1); separate from the public upvote.
RATINGS = {"more": 1, "less": -1}
RATING_NAMES = {value: name for name, value in RATINGS.items()}

# Why a paper is something the model learns from, in the order the pages list them.
SAVED, UPVOTED, MORE, LESS = "saved", "upvoted", "more", "less"
POSITIVE_KINDS = (SAVED, UPVOTED, MORE)


def collection_name(name: str) -> str:
    """A collection's name with its whitespace collapsed; InvalidInput when empty or too long."""
    return clean_label(name, MAX_COLLECTION_NAME, blank="a collection needs a name",
                       too_long=f"a collection name has at most {MAX_COLLECTION_NAME} characters")


def note_text(note: str | None) -> str | None:
    """A note as stored: trimmed, None when empty; InvalidInput when longer than MAX_NOTE."""
    cleaned = (note or "").strip()
    if len(cleaned) > MAX_NOTE:
        raise InvalidInput(f"a note has at most {MAX_NOTE:,} characters (this one has {len(cleaned):,})")
    return cleaned or None


def rating_value(name: str) -> int:
    """+1 for "more", -1 for "less"; InvalidInput for anything else."""
    try:
        return RATINGS[name]
    except KeyError:
        raise InvalidInput(f"a rating is 'more' or 'less', not {name!r}") from None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing the reader did to a paper: saved, upvoted, or rated it more/less, and when."""

    paper_id: int
    kind: str  # SAVED, UPVOTED, MORE or LESS
    at: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """A paper the model learns from, with every reason (newest first) and the latest moment among them."""

    paper_id: int
    evidence: tuple[Evidence, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(item.kind for item in self.evidence)

    @property
    def at(self) -> datetime:
        return max(item.at for item in self.evidence)


@dataclass(frozen=True, slots=True)
class TrainingSignals:
    """What a reader's model learns from: positives and explicit negatives, each newest first."""

    positives: list[Signal]
    negatives: list[Signal]

    @property
    def positive_ids(self) -> list[int]:
        return [signal.paper_id for signal in self.positives]

    @property
    def negative_ids(self) -> list[int]:
        return [signal.paper_id for signal in self.negatives]


def training_signals_from(evidence: Iterable[Evidence]) -> TrainingSignals:
    """The rule: a paper rated "less like this" is a negative whatever else was done to it; any other
    paper saved, upvoted or rated "more like this" is a positive."""
    by_paper: dict[int, list[Evidence]] = {}
    for item in evidence:
        by_paper.setdefault(item.paper_id, []).append(item)
    positives, negatives = [], []
    for paper_id, items in by_paper.items():
        if any(item.kind == LESS for item in items):
            negatives.append(Signal(paper_id, tuple(item for item in items if item.kind == LESS)))
        else:
            kept = sorted((item for item in items if item.kind in POSITIVE_KINDS), key=lambda e: e.at, reverse=True)
            if kept:
                positives.append(Signal(paper_id, tuple(kept)))

    def newest_first(signal: Signal) -> tuple:
        return (-signal.at.timestamp(), signal.paper_id)

    return TrainingSignals(sorted(positives, key=newest_first), sorted(negatives, key=newest_first))
