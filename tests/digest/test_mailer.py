"""The mailer against a real SMTP server on loopback: delivery over one connection, retries on 4xx and
lost connections, 5xx as a permanent failure, and setup problems that stop a batch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from digest_factories import make_settings
from loopback_smtp import Mailbox, free_port

from paperfeed.digest.mailer import Mailer, MailSetupError, PermanentFailure, TemporaryFailure
from paperfeed.digest.message import confirmation_message
from paperfeed.models import SubscriptionRequest

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


def mail_to(settings, address: str):
    return confirmation_message(settings, SubscriptionRequest(address, "daily", "UTC"), "https://x/confirm", NOW)


def test_messages_reach_the_server_over_one_connection(tmp_path, mailbox):
    settings = make_settings(tmp_path, "sqlite://", mailbox)
    with Mailer(settings) as mailer:
        for n in range(3):
            mailer.send(mail_to(settings, f"reader{n}@example.org"))
        assert mailer._connection is not None
    assert mailbox.counts() == {f"reader{n}@example.org": 1 for n in range(3)}
    assert mailbox.messages[0]["Subject"] == "Confirm your paperfeed digest subscription"


def test_a_4xx_is_retried_with_backoff_then_delivered_once(tmp_path, mailbox):
    settings = make_settings(tmp_path, "sqlite://", mailbox, digest_send_retries=3, digest_retry_delay_s=0.5)
    mailbox.data_replies = ["451 4.3.0 try again later", "421 4.7.0 too busy"]
    pauses = []
    with Mailer(settings, sleep=pauses.append) as mailer:
        mailer.send(mail_to(settings, "ada@example.org"))
    assert mailbox.counts() == {"ada@example.org": 1}
    assert mailbox.refused == 2
    assert pauses == [0.5, 1.0]  # doubling


def test_temporary_failures_give_up_after_the_retries(tmp_path, mailbox):
    settings = make_settings(tmp_path, "sqlite://", mailbox, digest_send_retries=2)
    mailbox.data_replies = ["451 4.3.0 try again later"] * 5
    with Mailer(settings) as mailer, pytest.raises(TemporaryFailure, match="451 4.3.0 try again later.*3 tries"):
        mailer.send(mail_to(settings, "ada@example.org"))
    assert mailbox.refused == 3 and mailbox.counts() == {}


def test_a_5xx_is_permanent_and_not_retried(tmp_path, mailbox):
    settings = make_settings(tmp_path, "sqlite://", mailbox)
    mailbox.rcpt_replies["gone@example.org"] = "550 5.1.1 no such user"
    with Mailer(settings) as mailer:
        with pytest.raises(PermanentFailure, match="550 5.1.1 no such user"):
            mailer.send(mail_to(settings, "gone@example.org"))
        mailer.send(mail_to(settings, "ada@example.org"))  # the connection is still good for the next one
    assert mailbox.counts() == {"ada@example.org": 1}


def test_a_5xx_to_the_message_itself_is_permanent(tmp_path, mailbox):
    settings = make_settings(tmp_path, "sqlite://", mailbox)
    mailbox.data_replies = ["554 5.7.1 message refused"]
    with Mailer(settings) as mailer, pytest.raises(PermanentFailure, match="554 5.7.1"):
        mailer.send(mail_to(settings, "ada@example.org"))
    assert mailbox.refused == 1


def test_no_server_listening_is_a_temporary_failure(tmp_path):
    settings = make_settings(tmp_path, "sqlite://", smtp_host="127.0.0.1", smtp_port=free_port(),
                             smtp_security="none", digest_send_retries=1)
    with Mailer(settings) as mailer, pytest.raises(TemporaryFailure, match="connection problem"):
        mailer.send(mail_to(settings, "ada@example.org"))


def test_setup_problems_are_reported_not_retried(tmp_path, mailbox):
    with pytest.raises(MailSetupError, match="PAPERFEED_SMTP_HOST is not set"):
        Mailer(make_settings(tmp_path, "sqlite://"))
    # The test server offers no STARTTLS: sending in the clear is never a silent fallback.
    settings = make_settings(tmp_path, "sqlite://", mailbox, smtp_security="starttls")
    with Mailer(settings) as mailer, pytest.raises(MailSetupError, match="does not offer STARTTLS"):
        mailer.send(mail_to(settings, "ada@example.org"))
    assert mailbox.counts() == {}
