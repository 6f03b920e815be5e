"""The digest batch (`paperfeed digest send`): plan every due digest, then send each one exactly once.

1. Plan. For each active subscriber whose period is due (schedule.py) and has no digest yet, compose
   the digest (compose.py) and write it with its papers as a pending row with a fixed Message-ID,
   500 subscribers per transaction. A digest with nothing new is written as 'empty' (no mail). A
   subscriber whose address is a reader's, with a READY model, gets a "For you" section first: the
   period's papers as their model (or their chosen collection's) ranks them, read from the kept rankings.
2. Send. Every pending digest, from this run or an interrupted one, is rendered (message.py), handed
   to the SMTP server (mailer.py) and marked sent in its own transaction right after the server
   accepts it.

A crash anywhere (SIGKILL included) followed by a rerun neither skips nor repeats a digest: planned
rows survive and are sent by the rerun; sent rows are skipped; periods already planned are not planned
again (unique subscriber+period). What remains is the classic window between the server's "250 OK"
and our commit, a few milliseconds per message: a crash exactly there sends that one digest again on
the rerun, with the same Message-ID so mail systems can recognise the duplicate. Closing it would need
the SMTP server to deduplicate, which SMTP does not offer. Two overlapping runs are prevented by a lock
(db/locks.py), so neither can send what the other is sending.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import digests as digest_store
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.db.locks import exclusive
from paperfeed.digest.candidates import digest_readers, for_you_ranking, gather_candidates
from paperfeed.digest.compose import FOR_YOU_PAPERS, compose_digest
from paperfeed.digest.mailer import PermanentFailure, TemporaryFailure
from paperfeed.digest.message import DigestLinks, digest_message, new_message_id
from paperfeed.digest.schedule import Period, due_period
from paperfeed.digest.tokens import LinkSigner
from paperfeed.models import ACTIVE, BOUNCING, Pick, Subscriber

log = logging.getLogger(__name__)

PLAN_CHUNK = 500  # subscribers per planning transaction
SEND_CHUNK = 200  # pending digests read at a time
STALE_AFTER = timedelta(hours=48)  # a digest still pending this long after planning is not sent any more
STOP_AFTER_TEMPORARY = 5  # consecutive temporary failures (after retries): the server is down, stop the run
LOCK_NAME = "digest send"


@dataclass(frozen=True, slots=True)
class DigestPlan:
    subscriber: Subscriber
    period: Period
    picks: list[Pick]


@dataclass(slots=True)
class SendReport:
    due: int = 0  # subscribers whose period was due and not yet planned
    planned: int = 0  # digests written with papers
    empty: int = 0  # due, but nothing new for them
    sent: int = 0
    bounced: int = 0  # permanent failures: address now marked bouncing
    deferred: int = 0  # temporary failures: still pending for the next run
    cancelled: int = 0  # pending digests of subscribers who left before they went out
    expired: int = 0
    stopped: str | None = None  # why the run stopped early
    plans: list[DigestPlan] = field(default_factory=list)  # dry runs only


def _due(engine: sa.Engine, settings: Settings, now: datetime,
         only_email: str | None) -> list[tuple[Subscriber, Period]]:
    with engine.connect() as conn:
        active = subscriber_store.subscribers_with_status(conn, ACTIVE, only_email)
        due = [(s, p) for s in active
               if (p := due_period(now, s.timezone, s.frequency, settings.digest_hour, settings.digest_weekday))]
        done = digest_store.periods_done(conn, [s.id for s, _ in due], {p.key for _, p in due})
    return [(s, p) for s, p in due if (s.id, p.key) not in done]


def plan_digests(engine: sa.Engine, settings: Settings, now: datetime, *, only_email: str | None = None,
                 open_search: Callable[[], object] | None = None, write: bool = True,
                 report: SendReport | None = None, recommender=None) -> SendReport:
    """Compose and (unless write=False, a dry run) store the digests due at `now`. `recommender` (a
    foryou Recommender) is opened here, on the first reader due, when none is given."""
    report = report or SendReport()
    due = _due(engine, settings, now, only_email)
    report.due += len(due)
    windows: dict[tuple[str, object], list[tuple[Subscriber, Period]]] = defaultdict(list)
    for subscriber, period in due:
        windows[(subscriber.frequency, period.since)].append((subscriber, period))
    search = None
    opened = None

    def shared_search():  # opened once, on the first window that has saved queries
        nonlocal search
        search = search or open_search()
        return search

    def shared_recommender():
        nonlocal opened
        if recommender is not None:
            return recommender
        if opened is None:
            from paperfeed.foryou.service import Recommender

            opened = Recommender(settings)
        return opened

    try:
        for (frequency, since), members in windows.items():
            candidates = gather_candidates(
                engine, since=since, frequency=frequency, now=now, per_query=settings.digest_query_papers,
                queries={q for s, _ in members for q in s.of_kind("query")},
                open_search=shared_search if open_search else None,
            )
            for start in range(0, len(members), PLAN_CHUNK):
                chunk = members[start:start + PLAN_CHUNK]
                with engine.begin() as conn:  # the model's rankings are kept as they are read: a write
                    sent = digest_store.papers_sent(conn, [s.id for s, _ in chunk], list(candidates.papers))
                    readers = digest_readers(conn, [s for s, _ in chunk], clean_up=write)
                    plans = []
                    for s, p in chunk:
                        reader = readers.get(s.id)
                        ranked = for_you_ranking(conn, shared_recommender(), reader, since, p.local_day, sent[s.id],
                                                 FOR_YOU_PAPERS) if reader else []
                        plans.append(DigestPlan(s, p, compose_digest(
                            s.interests, candidates, sent[s.id], max_papers=settings.digest_max_papers,
                            trending_papers=settings.digest_trending_papers,
                            query_papers=settings.digest_query_papers, for_you=ranked)))
                    if write:
                        digest_store.create_digests(conn, [
                            digest_store.PlannedDigest(plan.subscriber.id, plan.period.key,
                                                       new_message_id(settings), plan.picks)
                            for plan in plans
                        ], now)
                    else:
                        report.plans += plans
                report.planned += sum(1 for plan in plans if plan.picks)
                report.empty += sum(1 for plan in plans if not plan.picks)
    finally:
        if opened is not None:
            opened.close()
    return report


def _now() -> datetime:
    return datetime.now(UTC)


def deliver_pending(engine: sa.Engine, settings: Settings, mailer, signer: LinkSigner, *,
                    now: datetime | None = None, only_email: str | None = None, report: SendReport | None = None,
                    clock=_now, on_sent: Callable[[int], None] | None = None) -> SendReport:
    """Send every pending digest once; see the module docstring for what a crash can and cannot do.
    `now` is the batch's time (planning and expiry); `clock` times the mails and their sent_at."""
    report = report or SendReport()
    with engine.begin() as conn:
        settled = digest_store.settle_pending(conn, (now or clock()) - STALE_AFTER)
    report.cancelled += settled[digest_store.CANCELLED]
    report.expired += settled[digest_store.EXPIRED]
    last_id, failures_in_a_row = 0, 0
    while batch := _pending(engine, last_id, only_email):
        for digest in batch:
            last_id = digest.id
            if not digest.picks:
                with engine.begin() as conn:
                    digest_store.mark_empty(conn, digest.id)
                continue
            now = clock()
            links = DigestLinks(manage_url=signer.url("manage", digest.subscriber_id, digest.email, now),
                                unsubscribe_url=signer.url("unsubscribe", digest.subscriber_id, digest.email, now))
            message = digest_message(settings, to=digest.email, frequency=digest.frequency, period=digest.period,
                                     message_id=digest.message_id, picks=digest.picks, links=links, now=now)
            try:
                mailer.send(message)
            except PermanentFailure as exc:
                log.warning("%s bounces, no more digests for it: %s", digest.email, exc)
                with engine.begin() as conn:
                    digest_store.mark_failed(conn, digest.id, str(exc))
                    subscriber_store.set_status(conn, digest.subscriber_id, BOUNCING, clock(), str(exc))
                report.bounced += 1
                failures_in_a_row = 0
                continue
            except TemporaryFailure as exc:
                with engine.begin() as conn:
                    digest_store.note_attempt(conn, digest.id, str(exc))
                report.deferred += 1
                failures_in_a_row += 1
                if failures_in_a_row >= STOP_AFTER_TEMPORARY:
                    report.stopped = f"the mail server kept failing ({exc}); pending digests go out on the next run"
                    return report
                continue
            # Accepted: commit at once, one message per transaction (the window described above).
            with engine.begin() as conn:
                digest_store.mark_sent(conn, digest.id, clock())
            report.sent += 1
            failures_in_a_row = 0
            if on_sent:
                on_sent(report.sent)
    return report


def _pending(engine: sa.Engine, after_id: int, only_email: str | None) -> list[digest_store.PendingDigest]:
    with engine.connect() as conn:
        return digest_store.pending_digests(conn, after_id, SEND_CHUNK, only_email)


def send_digests(engine: sa.Engine, settings: Settings, now: datetime, *, mailer_factory, signer: LinkSigner,
                 open_search: Callable[[], object] | None = None, only_email: str | None = None,
                 on_sent: Callable[[int], None] | None = None) -> SendReport:
    """Plan what is due at `now`, then send everything pending, holding the batch lock throughout."""
    with exclusive(engine, LOCK_NAME), mailer_factory() as mailer:  # a mailer that cannot work fails before planning
        report = plan_digests(engine, settings, now, only_email=only_email, open_search=open_search)
        return deliver_pending(engine, settings, mailer, signer, now=now, only_email=only_email,
                                   report=report, on_sent=on_sent)
