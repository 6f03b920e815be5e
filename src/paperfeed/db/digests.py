"""Digests and their papers: planned rows (pending), marked sent one by one, and the (subscriber, paper)
pairs that make every paper reach a subscriber at most once, ever. Also the paper reads composing needs,
and which subscribers are readers (their "For you" section).

A "For you" pick's reason is kept as JSON: the reason line and what explains it (the label, the closest
library papers' ids, the shared words), so a digest sent by a later run still names and links them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from paperfeed.db.papers import paper_from_row, papers_by_ids
from paperfeed.db.schema import PAPER_DAY, digest_papers, digests, papers, subscribers, users
from paperfeed.emails import stored_spellings
from paperfeed.models import ACTIVE, Paper, Pick, Recommendation

# Digest status
PENDING = "pending"  # planned with its papers; to be sent
SENT = "sent"  # the SMTP server accepted it
EMPTY = "empty"  # nothing new for the subscriber this period: no mail, but the period is done
FAILED = "failed"  # refused for good (the address is marked bouncing)
EXPIRED = "expired"  # still pending long after it was planned: stale news, not sent
CANCELLED = "cancelled"  # the subscriber unsubscribed (or bounced) before it went out

_CHUNK = 2000  # ids per IN list


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass(frozen=True, slots=True)
class PlannedDigest:
    subscriber_id: int
    period: str
    message_id: str
    picks: Sequence[Pick]


@dataclass(frozen=True, slots=True)
class PendingDigest:
    id: int
    subscriber_id: int
    email: str
    frequency: str
    period: str
    message_id: str
    attempts: int
    picks: list[Pick]


def papers_new_since(conn: sa.Connection, since: date) -> list[Paper]:
    """Papers announced (else first published) on or after `since`."""
    return [paper_from_row(row) for row in conn.execute(sa.select(papers).where(since <= PAPER_DAY))]


def readers_by_email(conn: sa.Connection, emails: Iterable[str]) -> dict[str, int]:
    """The reader (user id) each of these subscriber addresses belongs to, however the account spells it."""
    spellings = {email: stored_spellings(email) for email in set(emails)}
    wanted = sorted(set().union(*spellings.values())) if spellings else []
    accounts: dict[str, int] = {}
    for chunk in _chunks(wanted):
        rows = conn.execute(sa.select(users.c.email, users.c.id).where(users.c.email.in_(chunk)).order_by(users.c.id))
        for row in rows:
            accounts.setdefault(row.email, row.id)
    return {email: min(accounts[s] for s in forms if s in accounts)
            for email, forms in spellings.items() if forms & accounts.keys()}


def periods_done(conn: sa.Connection, subscriber_ids: Sequence[int], periods: Iterable[str]) -> set[tuple[int, str]]:
    """(subscriber, period) pairs that have a digest already, in any status."""
    periods = list(set(periods))
    done = set()
    for chunk in _chunks(list(subscriber_ids)):
        rows = conn.execute(sa.select(digests.c.subscriber_id, digests.c.period)
                            .where(digests.c.subscriber_id.in_(chunk), digests.c.period.in_(periods)))
        done.update((row.subscriber_id, row.period) for row in rows)
    return done


def papers_sent(conn: sa.Connection, subscriber_ids: Sequence[int], paper_ids: Sequence[int]) -> dict[int, set[int]]:
    """Which of these papers each of these subscribers has had in a digest (planned or sent), ever."""
    sent: dict[int, set[int]] = {subscriber_id: set() for subscriber_id in subscriber_ids}
    for subscribers_chunk in _chunks(list(subscriber_ids), 500):
        for papers_chunk in _chunks(list(paper_ids), 5000):
            rows = conn.execute(
                sa.select(digest_papers.c.subscriber_id, digest_papers.c.paper_id)
                .where(digest_papers.c.subscriber_id.in_(subscribers_chunk), digest_papers.c.paper_id.in_(papers_chunk))
            )
            for row in rows:
                sent[row.subscriber_id].add(row.paper_id)
    return sent


def create_digests(conn: sa.Connection, planned: Sequence[PlannedDigest], now: datetime) -> int:
    """Write digests with their papers, in the caller's transaction: pending, or empty when nothing was picked.
    The unique (subscriber, period) key and the (subscriber, paper) key keep a rerun from doubling anything."""
    if not planned:
        return 0
    conn.execute(digests.insert(), [
        {"subscriber_id": p.subscriber_id, "period": p.period, "message_id": p.message_id, "paper_count": len(p.picks),
         "status": PENDING if p.picks else EMPTY, "attempts": 0, "created_at": now}
        for p in planned
    ])
    ids = {}
    for chunk in _chunks([p.message_id for p in planned]):
        statement = sa.select(digests.c.message_id, digests.c.id).where(digests.c.message_id.in_(chunk))
        ids.update(conn.execute(statement).all())
    rows = [
        {"subscriber_id": p.subscriber_id, "paper_id": pick.paper.id, "digest_id": ids[p.message_id],
         "position": position, "section": pick.section, "reason": _stored_reason(pick)}
        for p in planned for position, pick in enumerate(p.picks)
    ]
    if rows:
        conn.execute(digest_papers.insert(), rows)
    return len(planned)


def _stored_reason(pick: Pick) -> str:
    if pick.why is None:
        return pick.reason
    why = pick.why
    return json.dumps({"reason": pick.reason, "match": why.match, "closest": [paper.id for paper in why.closest],
                       "shared_words": list(why.shared_words)})


def _explained(reason: str) -> dict | None:
    """The JSON of a "For you" pick's reason; None for a plain reason line."""
    if not reason.startswith("{"):
        return None
    try:
        return json.loads(reason)
    except ValueError:
        return None


def _pick(item: sa.Row, found: dict[int, Paper]) -> Pick:
    explained = _explained(item.reason)
    if explained is None:
        return Pick(found[item.paper_id], (item.reason,), item.section)
    closest = tuple(found[i] for i in explained["closest"] if i in found)  # a deleted library paper is left out
    why = Recommendation(explained["match"], closest, tuple(explained["shared_words"]))
    return Pick(found[item.paper_id], (explained["reason"],), item.section, why)


def settle_pending(conn: sa.Connection, stale_before: datetime) -> dict[str, int]:
    """Before sending: cancel pending digests of subscribers who are no longer active, expire stale ones."""
    inactive = sa.select(subscribers.c.id).where(subscribers.c.status != ACTIVE).scalar_subquery()
    cancelled = conn.execute(digests.update().where(digests.c.status == PENDING, digests.c.subscriber_id.in_(inactive))
                             .values(status=CANCELLED)).rowcount
    expired = conn.execute(digests.update().where(digests.c.status == PENDING, digests.c.created_at < stale_before)
                           .values(status=EXPIRED)).rowcount
    return {CANCELLED: cancelled, EXPIRED: expired}


def pending_digests(conn: sa.Connection, after_id: int, limit: int, email: str | None = None) -> list[PendingDigest]:
    """The next pending digests of active subscribers by id, with their papers in order."""
    statement = (
        sa.select(digests.c.id, digests.c.subscriber_id, digests.c.period, digests.c.message_id, digests.c.attempts,
                  subscribers.c.email, subscribers.c.frequency)
        .join(subscribers, subscribers.c.id == digests.c.subscriber_id)
        .where(digests.c.status == PENDING, digests.c.id > after_id, subscribers.c.status == ACTIVE)
        .order_by(digests.c.id).limit(limit)
    )
    if email is not None:
        statement = statement.where(subscribers.c.email == email)
    rows = conn.execute(statement).all()
    if not rows:
        return []
    items = conn.execute(
        sa.select(digest_papers).where(digest_papers.c.digest_id.in_([row.id for row in rows]))
        .order_by(digest_papers.c.digest_id, digest_papers.c.position)
    ).all()
    closest = [i for item in items if (explained := _explained(item.reason)) for i in explained["closest"]]
    found = papers_by_ids(conn, [item.paper_id for item in items] + closest)
    picks: dict[int, list[Pick]] = {row.id: [] for row in rows}
    for item in items:
        if item.paper_id in found:
            picks[item.digest_id].append(_pick(item, found))
    return [PendingDigest(row.id, row.subscriber_id, row.email, row.frequency, row.period, row.message_id,
                          row.attempts, picks[row.id]) for row in rows]


def mark_sent(conn: sa.Connection, digest_id: int, now: datetime) -> None:
    conn.execute(digests.update().where(digests.c.id == digest_id)
                 .values(status=SENT, sent_at=now, attempts=digests.c.attempts + 1, last_error=None))


def mark_failed(conn: sa.Connection, digest_id: int, error: str) -> None:
    conn.execute(digests.update().where(digests.c.id == digest_id)
                 .values(status=FAILED, attempts=digests.c.attempts + 1, last_error=error))


def mark_empty(conn: sa.Connection, digest_id: int) -> None:
    """A pending digest whose papers were all deleted since it was planned: nothing to send."""
    conn.execute(digests.update().where(digests.c.id == digest_id).values(status=EMPTY, paper_count=0))


def note_attempt(conn: sa.Connection, digest_id: int, error: str) -> None:
    """A temporary failure: the digest stays pending for the next run."""
    conn.execute(digests.update().where(digests.c.id == digest_id)
                 .values(attempts=digests.c.attempts + 1, last_error=error))


def count_by_status(conn: sa.Connection) -> dict[str, int]:
    return dict(conn.execute(sa.select(digests.c.status, sa.func.count()).group_by(digests.c.status)).all())
