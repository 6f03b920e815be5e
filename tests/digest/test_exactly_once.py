"""Exactly once, proven the hard way: `paperfeed digest send` runs as a real subprocess over a real store
(SQLite and PostgreSQL) with 200 due subscribers, sending to a real SMTP server on loopback that persists
what it accepts. The server SIGKILLs the sender part-way; a rerun must deliver exactly one digest to every
subscriber: none skipped, none twice.

The kill comes from inside the server while it holds message N, before it answers: the sender dies
waiting for the reply, as in a crash at any moment before the server's acceptance. (A crash between the
server's 250 and the sender's commit is the one window that cannot be closed; the second test shows what
it costs: that single digest again, with the same Message-ID.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from digest_factories import SECRET
from loopback_smtp import Mailbox

from factories import store_paper
from paperfeed.db import migrate
from paperfeed.db.engine import make_engine
from paperfeed.db.schema import digests
from paperfeed.db.subscriptions import create_subscriber
from paperfeed.digest.subscriptions import parse_request
from paperfeed.models import ACTIVE

CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"
SUBSCRIBERS = 200
KILL_AT = 73  # messages the server has accepted when the sender is killed
NOW = "2026-11-23T08:00:00+00:00"
DAY = date(2026, 11, 23)


def subscribe_many(engine, count: int) -> list[str]:
    emails = [f"reader{n:03d}@example.org" for n in range(count)]
    with engine.begin() as conn:
        for email in emails:
            request = parse_request(email, categories=["cs.CL"])
            create_subscriber(conn, request, ACTIVE, datetime(2026, 11, 1, tzinfo=UTC))
    return emails


def sender_env(tmp_path, database_url: str, mailbox: Mailbox) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAPERFEED_")}
    env.update(mailbox.settings(), PAPERFEED_DATA_DIR=str(tmp_path / "data"), PAPERFEED_DATABASE_URL=database_url,
               PAPERFEED_SECRET_KEY=SECRET, PAPERFEED_DIGEST_RETRY_DELAY_S="0")
    return env


def start_sender(tmp_path, env) -> subprocess.Popen:
    return subprocess.Popen([str(CONSOLE_SCRIPT), "digest", "send", "--now", NOW, "--json"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def digest_rows(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.select(digests.c.status, digests.c.message_id)).all()


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


@pytest.fixture
def store(engine):
    for n in range(1, 6):
        store_paper(engine, n, announced_on=DAY, categories=("cs.CL",), title=f"Paper {n} on parsing")
    return engine


def kill_sender_at(mailbox: Mailbox, count: int, *, after_storing: bool = False) -> dict:
    """Arm the server to SIGKILL the sender while it holds message `count`: before storing it (so it is
    never accepted), or after storing it but before answering (the window after acceptance)."""
    victim: dict[str, subprocess.Popen] = {}

    def before(accepted: int) -> str | None:
        if accepted != count - 1:
            return None
        os.kill(victim["process"].pid, signal.SIGKILL)
        return "451 4.3.0 sender gone"

    def after(stored: int) -> None:
        if stored == count:
            os.kill(victim["process"].pid, signal.SIGKILL)

    if after_storing:
        mailbox.after_accept = after
    else:
        mailbox.before_accept = before
    return victim


def test_a_killed_batch_rerun_sends_every_digest_exactly_once(tmp_path, database_url, store, mailbox):
    emails = subscribe_many(store, SUBSCRIBERS)
    env = sender_env(tmp_path, database_url, mailbox)

    victim = kill_sender_at(mailbox, KILL_AT)
    first = victim["process"] = start_sender(tmp_path, env)
    first.wait(timeout=120)
    assert first.returncode == -signal.SIGKILL, first.stderr.read()
    assert sum(mailbox.counts().values()) == KILL_AT - 1  # message KILL_AT was never accepted
    statuses = Counter(row.status for row in digest_rows(store))
    # Everything was planned before sending began; every accepted message was committed as sent.
    assert statuses == {"sent": KILL_AT - 1, "pending": SUBSCRIBERS - KILL_AT + 1}

    mailbox.before_accept = None
    rerun = start_sender(tmp_path, env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    report = json.loads(out)
    assert (report["due"], report["planned"], report["sent"]) == (0, 0, SUBSCRIBERS - KILL_AT + 1)

    counts = mailbox.counts()
    assert counts == {email: 1 for email in emails}  # every due subscriber, exactly once
    received_ids = [entry["message_id"] for entry in mailbox.received()]
    rows = digest_rows(store)
    assert {row.status for row in rows} == {"sent"}
    assert sorted(received_ids) == sorted(row.message_id for row in rows)  # the planned Message-IDs, once each

    third = start_sender(tmp_path, env)  # and a third run has nothing left to do
    out, _ = third.communicate(timeout=120)
    assert json.loads(out)["sent"] == 0 and sum(mailbox.counts().values()) == SUBSCRIBERS


def test_the_window_after_acceptance_repeats_one_digest_with_the_same_message_id(tmp_path, mailbox):
    # SQLite only: the same code path as on PostgreSQL; once is enough for this illustration.
    database_url = f"sqlite:///{tmp_path / 'window.db'}"
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    for n in range(1, 3):
        store_paper(engine, n, announced_on=DAY, categories=("cs.CL",))
    emails = subscribe_many(engine, 20)
    env = sender_env(tmp_path, database_url, mailbox)
    victim = kill_sender_at(mailbox, 5, after_storing=True)
    first = victim["process"] = start_sender(tmp_path, env)
    first.wait(timeout=120)
    assert first.returncode == -signal.SIGKILL
    mailbox.after_accept = None
    rerun = start_sender(tmp_path, env)
    assert rerun.wait(timeout=120) == 0
    engine.dispose()

    counts = mailbox.counts()
    repeated = [email for email, count in counts.items() if count > 1]
    assert set(counts) == set(emails) and len(repeated) == 1 and counts[repeated[0]] == 2
    ids = [entry["message_id"] for entry in mailbox.received() if entry["to"] == repeated[0]]
    assert ids[0] == ids[1]  # the receiving side can tell it is the same message
