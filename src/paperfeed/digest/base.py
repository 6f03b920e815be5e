"""The shapes the digest modules share: subscribers, their interests, and the papers picked for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from paperfeed.models import Paper

FREQUENCIES = ("daily", "weekly")
INTEREST_KINDS = ("category", "query", "author")

# Subscriber status
PENDING = "pending"  # until the confirmation link is followed; nothing is sent
ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"
BOUNCING = "bouncing"  # the mail server refused the address for good; nothing more is sent


@dataclass(frozen=True, slots=True)
class Interest:
    kind: str  # one of INTEREST_KINDS
    value: str  # "cs.CL", "diffusion distillation", "Yoshua Bengio"


@dataclass(frozen=True, slots=True)
class SubscriptionRequest:
    """What a reader asked for, validated (subscriptions.parse_request)."""

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
class Pick:
    """A paper chosen for a digest, with every reason it is there ("new in cs.CL")."""

    paper: Paper
    reasons: tuple[str, ...]
    section: str = "interests"  # or "trending"

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)
