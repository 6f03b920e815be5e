"""The digest batch over a real store (SQLite and PostgreSQL) and a real SMTP server: who gets what,
papers at most once ever, no mail when nothing is new, bounces, retries, and reruns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from digest_factories import add_subscriber, make_settings
from loopback_smtp import Mailbox

from factories import feature, store_paper
from paperfeed.db import digests as digest_store
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.db.locks import Busy, exclusive
from paperfeed.db.schema import digests
from paperfeed.digest.mailer import Mailer
from paperfeed.digest.sender import LOCK_NAME, deliver_pending, plan_digests, send_digests
from paperfeed.digest.signup import unsubscribe
from paperfeed.digest.tokens import LinkSigner
from paperfeed.models import BOUNCING, UNSUBSCRIBED

DAY = date(2026, 11, 23)
MORNING = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


@pytest.fixture
def settings(tmp_path, database_url, mailbox):
    return make_settings(tmp_path, database_url, mailbox)


def run(engine, settings, now=MORNING, open_search=None):
    return send_digests(engine, settings, now, mailer_factory=lambda: Mailer(settings),
                        signer=LinkSigner.from_settings(settings), open_search=open_search)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return digest_store.count_by_status(conn)


def test_each_due_subscriber_gets_one_digest_of_their_own(engine, settings, mailbox):
    nlp = store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",), title="Parsing with transformers")
    vision = store_paper(engine, 2, announced_on=DAY, categories=("cs.CV",), authors=("Fei-Fei Li",))
    hot = store_paper(engine, 3, announced_on=DAY - timedelta(days=5), categories=("hep-th",),
                      title="Strings, trending")
    feature(engine, hot, DAY - timedelta(days=1), 42)
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    add_subscriber(engine, "bob@example.org", authors=["Fei-Fei Li"])
    add_subscriber(engine, "carol@example.org")  # no interests: trending only
    add_subscriber(engine, "dan@example.org", categories=["math.AG"], status="pending")  # never confirmed

    report = run(engine, settings)
    assert (report.due, report.planned, report.sent) == (3, 3, 3)
    assert mailbox.counts() == {"ada@example.org": 1, "bob@example.org": 1, "carol@example.org": 1}
    ada = text_of(mailbox.to("ada@example.org")[0])
    assert "Parsing with transformers" in ada and "Why: new in cs.CL" in ada
    assert "Strings, trending" in ada and "Why: trending: 42 votes" in ada
    assert "Fei-Fei Li" not in ada
    assert "Why: new paper by Fei-Fei Li" in text_of(mailbox.to("bob@example.org")[0])
    assert "Parsing with transformers" not in text_of(mailbox.to("carol@example.org")[0])

    again = run(engine, settings, MORNING + timedelta(hours=3))  # same day: done already
    assert (again.due, again.sent) == (0, 0) and len(mailbox.messages) == 3
    assert statuses(engine) == {"sent": 3}
    del nlp, vision


def test_a_paper_reaches_a_subscriber_at_most_once_ever(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",), title="First paper")
    store_paper(engine, 2, announced_on=DAY, categories=("cs.CL",), title="Second paper")
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    assert run(engine, settings).sent == 1

    # The next day both papers are still inside the look-back window, and one more is new.
    store_paper(engine, 3, announced_on=DAY + timedelta(days=1), categories=("cs.CL",), title="Third paper")
    assert run(engine, settings, MORNING + timedelta(days=1)).sent == 1
    second = text_of(mailbox.to("ada@example.org")[1])
    assert "Third paper" in second and "First paper" not in second and "Second paper" not in second
    assert second.startswith("1 new paper for you")

    # Nothing new on the third day: no mail, and the period is recorded as empty.
    report = run(engine, settings, MORNING + timedelta(days=2))
    assert (report.due, report.empty, report.sent) == (1, 1, 0)
    assert len(mailbox.to("ada@example.org")) == 2
    assert statuses(engine) == {"sent": 2, "empty": 1}


def test_saved_queries_go_through_the_hybrid_search(engine, settings, mailbox):
    from paperfeed.search.maintenance import update_index
    from paperfeed.search.service import SearchService

    store_paper(engine, 1, announced_on=DAY, title="Protein folding with language models", categories=("q-bio.BM",))
    store_paper(engine, 2, announced_on=DAY, title="Camera calibration revisited", categories=("cs.CV",))
    store_paper(engine, 3, announced_on=DAY - timedelta(days=30), title="Protein folding, an old result",
                categories=("q-bio.BM",))
    update_index(settings, engine, semantic=False)
    add_subscriber(engine, "ada@example.org", queries=["protein folding"])
    opened = []

    def open_search():
        opened.append(1)
        return SearchService.open(settings, engine)

    assert run(engine, settings, open_search=open_search).sent == 1
    text = text_of(mailbox.to("ada@example.org")[0])
    assert "Protein folding with language models" in text and "Why: matches your query 'protein folding'" in text
    assert "an old result" not in text and "Camera calibration" not in text  # old, or not a match
    assert opened == [1]


def test_time_zones_decide_who_is_due(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "paris@example.org", categories=["cs.CL"], timezone="Europe/Paris")
    add_subscriber(engine, "newyork@example.org", categories=["cs.CL"], timezone="America/New_York")
    add_subscriber(engine, "weekly@example.org", categories=["cs.CL"], frequency="weekly", timezone="Europe/Paris")
    early = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Paris, 01:30 in New York, Monday
    run(engine, settings, early)
    assert mailbox.counts() == {"paris@example.org": 1, "weekly@example.org": 1}
    run(engine, settings, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))  # 07:00 in New York
    assert mailbox.counts() == {"paris@example.org": 1, "weekly@example.org": 1, "newyork@example.org": 1}
    with engine.connect() as conn:
        assert {row.period for row in conn.execute(sa.select(digests.c.period))} == {
            "daily:2026-11-23", "weekly:2026-W48"}


def test_a_5xx_marks_the_address_bouncing_and_nothing_more_goes_to_it(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "gone@example.org", categories=["cs.CL"])
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    mailbox.rcpt_replies["gone@example.org"] = "550 5.1.1 mailbox unavailable"
    report = run(engine, settings)
    assert (report.sent, report.bounced) == (1, 1)
    with engine.connect() as conn:
        gone = subscriber_store.find_subscriber(conn, "gone@example.org")
        row = conn.execute(sa.select(digests).where(digests.c.subscriber_id == gone.id)).one()
    assert gone.status == BOUNCING
    assert row.status == "failed" and "550 5.1.1 mailbox unavailable" in row.last_error

    store_paper(engine, 2, announced_on=DAY + timedelta(days=1), categories=("cs.CL",))
    mailbox.rcpt_replies.clear()
    nextday = run(engine, settings, MORNING + timedelta(days=1))
    assert nextday.due == 1 and mailbox.counts() == {"ada@example.org": 2}


def test_a_4xx_is_retried_and_the_digest_sent_once(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    mailbox.data_replies = ["451 4.3.0 greylisted, try again"]
    report = run(engine, settings)
    assert (report.sent, report.deferred) == (1, 0)
    assert mailbox.refused == 1 and mailbox.counts() == {"ada@example.org": 1}
    with engine.connect() as conn:
        assert conn.execute(sa.select(digests.c.status, digests.c.attempts)).one() == ("sent", 1)


def test_a_server_that_keeps_failing_leaves_digests_for_the_next_run(tmp_path, database_url, engine, mailbox):
    settings = make_settings(tmp_path, database_url, mailbox, digest_send_retries=0)
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    for n in range(7):
        add_subscriber(engine, f"reader{n}@example.org", categories=["cs.CL"])
    mailbox.data_replies = ["421 4.3.2 shutting down"] * 100
    report = run(engine, settings)
    assert report.sent == 0 and report.deferred == 5 and "kept failing" in report.stopped
    assert statuses(engine) == {"pending": 7}

    mailbox.data_replies = []
    rerun = run(engine, settings, MORNING + timedelta(minutes=10))
    assert (rerun.due, rerun.sent) == (0, 7)
    assert mailbox.counts() == {f"reader{n}@example.org": 1 for n in range(7)}


def test_a_digest_planned_before_the_reader_left_is_not_sent(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    subscriber_id = add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    plan_digests(engine, settings, MORNING)
    signer = LinkSigner.from_settings(settings)
    unsubscribe(engine, signer, signer.token("unsubscribe", subscriber_id, "ada@example.org", MORNING), MORNING)
    with Mailer(settings) as mailer:
        report = deliver_pending(engine, settings, mailer, signer, now=MORNING)
    assert (report.sent, report.cancelled) == (0, 1) and mailbox.counts() == {}


def test_the_unsubscribe_link_of_a_digest_works(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    run(engine, settings)
    header = mailbox.to("ada@example.org")[0]["List-Unsubscribe"]
    url = header.split(",")[0].strip("<> ")
    token = parse_qs(urlsplit(url).query)["token"][0]
    assert unsubscribe(engine, LinkSigner.from_settings(settings), token, MORNING).status == UNSUBSCRIBED


def test_a_dry_run_writes_and_sends_nothing(engine, settings, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    report = plan_digests(engine, settings, MORNING, write=False)
    assert [len(plan.picks) for plan in report.plans] == [1]
    assert statuses(engine) == {} and mailbox.counts() == {}


def test_two_runs_cannot_overlap(engine, settings):
    with exclusive(engine, LOCK_NAME), pytest.raises(Busy, match="another digest send is running"):
        run(engine, settings)
