"""Plain data that flows between sources, ingest, the store and the readers (papers, listings, digest
subscribers and what is picked for them). No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# How much a source is trusted for a paper's text: a higher rank overwrites a lower one.
SOURCE_RANK = {
    "arxiv-oai": 3,
    "arxiv-api": 3,
    "hf-daily": 2,
    "kaggle": 2,
    "jsonl": 1,
    "csv": 1,
    "bibtex": 1,
}


@dataclass(frozen=True, slots=True)
class ListingRecord:
    """A source says: this paper was featured on the daily feed of `day`."""

    day: date
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    upvotes: int = 0


@dataclass(frozen=True, slots=True)
class PaperRecord:
    """One paper as one source reported it. Sources fill it raw; ingest normalizes it."""

    source: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary category first
    arxiv_id: str | None = None  # without version
    version: int | None = None
    doi: str | None = None
    published_on: date | None = None  # first version
    updated_on: date | None = None  # latest version
    announced_on: date | None = None  # day it appeared in arXiv's listing
    abs_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    listing: ListingRecord | None = None
    ref: str = ""  # where it came from (line number, id), for error messages


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record a source could not turn into a paper, and why."""

    ref: str
    reason: str


@dataclass(slots=True)
class Paper:
    """A paper as stored: the merge of every record that named it."""

    key: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    sources: list[str]
    id: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    version: int | None = None
    published_on: date | None = None
    updated_on: date | None = None
    announced_on: date | None = None
    abs_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    title_key: str = ""
    text_rank: int = 0  # SOURCE_RANK of the source whose text is kept

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def day(self) -> date | None:
        """The paper's day: when arXiv announced it, else when it was published (db.schema.PAPER_DAY in SQL)."""
        return self.announced_on or self.published_on

    @property
    def short_authors(self) -> str:
        """The first three authors, then "et al.": the byline of a list item."""
        return ", ".join(self.authors[:3]) + (" et al." if len(self.authors) > 3 else "")


@dataclass(frozen=True, slots=True)
class Listing:
    paper_id: int
    day: date
    source: str
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    upvotes: int = 0


@dataclass(slots=True)
class IngestSummary:
    """What one ingest run did; printed at the end and returned by --json."""

    seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    listings: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def plus(self, other: IngestSummary) -> IngestSummary:
        """The two runs' summaries added up."""
        skipped = dict(self.skipped)
        for reason, count in other.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + count
        return IngestSummary(
            seen=self.seen + other.seen, added=self.added + other.added, updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged, listings=self.listings + other.listings, skipped=skipped,
        )


# Digest subscriptions: what a reader asked for, as validated (digest/subscriptions) and as stored (db/subscriptions).
FREQUENCIES = ("daily", "weekly")
INTEREST_KINDS = ("category", "query", "author", "collection")  # collection: a reader's own, by id (For you)

# Subscriber status
PENDING = "pending"  # until the confirmation link is followed; nothing is sent
ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"
BOUNCING = "bouncing"  # the mail server refused the address for good; nothing more is sent


@dataclass(frozen=True, slots=True)
class Interest:
    kind: str  # one of INTEREST_KINDS
    value: str  # "cs.CL", "diffusion distillation", "Yoshua Bengio", "12" (a collection id)


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a reader asked for, validated (digest/subscriptions.parse_request)."""

    email: str
    frequency: str
    timezone: str
    interests: tuple[Interest, ...] = ()

    def of_kind(self, kind: str) -> list[str]:
        return [interest.value for interest in self.interests if interest.kind == kind]


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    frequency: str
    timezone: str
    status: str
    interests: tuple[Interest, ...]
    created_at: datetime
    confirmed_at: datetime | None = None

    def of_kind(self, kind: str) -> list[str]:
        return [interest.value for interest in self.interests if interest.kind == kind]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """Why a reader's model recommends a paper: its label, the library papers it is closest to (closest
    first) and the words it shares with them."""

    match: str  # "strong match" or "weak match"
    closest: tuple[Paper, ...] = ()
    shared_words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Pick:
    """A paper chosen for a digest, with every reason it is there ("new in cs.CL")."""

    paper: Paper
    reasons: tuple[str, ...]
    section: str = "interests"  # or "trending", or "for-you" (ranked by the reader's model)
    why: Recommendation | None = None  # for "for-you" picks

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)
