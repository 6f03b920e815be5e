"""`paperfeed subscribe`, `unsubscribe`, `digest send` and `digest status`, driven in-process through
`paperfeed.cli.run` with settings from PAPERFEED_* variables. Errors are one line and an exit code."""

from __future__ import annotations

import json
from datetime import date

import pytest
from digest_factories import SECRET, add_subscriber
from loopback_smtp import Mailbox

from cli_runner import clean_environment, cli_invoker
from factories import store_paper
from paperfeed.cli import run
from paperfeed.db.engine import make_engine

NOW = "2026-11-23T08:00:00+00:00"
DAY = date(2026, 11, 23)


@pytest.fixture
def env(tmp_path, monkeypatch):
    clean_environment(monkeypatch, tmp_path, secret_key=SECRET, base_url="https://papers.example.org")
    return monkeypatch


@pytest.fixture
def paperfeed(env, capsys):
    invoke = cli_invoker(capsys)
    assert invoke("db", "upgrade").code == 0
    return invoke


@pytest.fixture
def engine(tmp_path, paperfeed):
    engine = make_engine(f"sqlite:///{(tmp_path / 'data' / 'paperfeed.db').resolve()}")
    yield engine
    engine.dispose()


@pytest.fixture
def mailbox(tmp_path, env):
    with Mailbox(tmp_path / "received.jsonl") as server:
        for name, value in server.settings().items():
            env.setenv(name, value)
        env.setenv("PAPERFEED_DIGEST_RETRY_DELAY_S", "0")
        yield server


def test_subscribe_prints_the_confirmation_link_when_there_is_no_mail_server(paperfeed):
    result = paperfeed("subscribe", "Ada@Example.org", "--category", "cs.CL", "--query", "diffusion distillation",
                       "--timezone", "Europe/Paris")
    assert result.code == 0, result.err
    assert "confirmation link (not mailed: PAPERFEED_SMTP_HOST is not set):" in result.out
    assert "https://papers.example.org/subscriptions/confirm?token=" in result.out
    status = json.loads(paperfeed("digest", "status", "--json").out)
    assert status == {"subscribers": {"pending": 1}, "digests": {}}


def test_subscribe_mails_the_link_it_prints(paperfeed, mailbox):
    result = paperfeed("subscribe", "ada@example.org", "--weekly", "--author", "Yoshua Bengio", "--json")
    assert result.code == 0, result.err
    outcome = json.loads(result.out)
    assert outcome["mailed"] and outcome["needs_confirmation"]
    [mail] = mailbox.to("ada@example.org")
    assert outcome["link"] in mail.get_body(("plain",)).get_content()


@pytest.mark.parametrize(("args", "message"), [
    (("subscribe", "not-an-address"), "error: 'not-an-address' is not a valid email address"),
    (("subscribe", "ada@example.org", "--timezone", "Paris"), "error: unknown time zone 'Paris'"),
    (("subscribe", "ada@example.org", "--category", "machine learning"), "is not an arXiv category"),
    (("unsubscribe", "nobody@example.org"), "error: nobody@example.org is not subscribed"),
    (("digest", "send", "--to", "@@"), "error: '@@' is not a valid email address"),
])
def test_bad_input_is_one_line(paperfeed, args, message):
    result = paperfeed(*args)
    assert result.code == 1 and len(result.err_lines) == 1 and message in result.err_lines[0]


def test_a_bad_time_is_a_usage_error(paperfeed):
    result = paperfeed("digest", "send", "--now", "tomorrow morning")
    assert result.code == 2 and "'tomorrow morning' is not a time like 2026-11-23T07:00:00+01:00" in result.err


def test_sending_without_a_mail_server_says_so_and_plans_nothing(paperfeed, engine):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",))
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    result = paperfeed("digest", "send", "--now", NOW)
    assert result.code == 1 and result.err_lines == [
        "error: PAPERFEED_SMTP_HOST is not set: there is no mail server to send through"]
    assert json.loads(paperfeed("digest", "status", "--json").out)["digests"] == {}


def test_dry_run_then_send_then_status(paperfeed, engine, mailbox):
    store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",), title="<b>Parsing</b> with transformers")
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    add_subscriber(engine, "bob@example.org", categories=["math.AG"])

    dry = paperfeed("digest", "send", "--dry-run", "--now", NOW, "--json")
    assert dry.code == 0, dry.err
    assert json.loads(dry.out) == {"due": 2, "empty": 1, "digests": [{
        "email": "ada@example.org", "period": "daily:2026-11-23",
        "papers": [{"key": "2405.00001", "title": "<b>Parsing</b> with transformers", "section": "interests",
                    "reason": "new in cs.CL"}]}]}
    shown = paperfeed("digest", "send", "--dry-run", "--to", "ada@example.org", "--now", NOW)
    assert "<b>Parsing</b> with transformers  [new in cs.CL]" in shown.out
    assert mailbox.counts() == {}

    sent = paperfeed("digest", "send", "--now", NOW, "--json")
    assert sent.code == 0, sent.err
    report = json.loads(sent.out)
    assert (report["due"], report["planned"], report["empty"], report["sent"]) == (2, 1, 1, 1)
    assert mailbox.counts() == {"ada@example.org": 1}
    again = paperfeed("digest", "send", "--now", NOW)
    assert again.code == 0 and "planned 0 digests (0 with nothing new); sent 0" in again.out
    assert json.loads(paperfeed("digest", "status", "--json").out) == {
        "subscribers": {"active": 2}, "digests": {"empty": 1, "sent": 1}}

    assert paperfeed("unsubscribe", "ADA@example.org").out.strip() == "ada@example.org unsubscribed"
    assert "subscribers: 1 active, 1 unsubscribed" in paperfeed("digest", "status").out


def test_commands_need_the_schema(env, capsys):
    assert run(["digest", "send", "--dry-run"]) == 1
    assert "run `paperfeed db upgrade` first" in capsys.readouterr().err
