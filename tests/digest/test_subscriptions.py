"""Subscribing: the rules for a request, signed links (forged, expired, wrong purpose), and the double
opt-in flow over a real store (SQLite and PostgreSQL) and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from digest_factories import SECRET, make_settings
from loopback_smtp import Mailbox

from paperfeed.db import subscriptions as store
from paperfeed.digest.mailer import Mailer
from paperfeed.digest.sender import plan_digests
from paperfeed.digest.signup import (
    confirm,
    subscribe,
    subscriber_for_token,
    unsubscribe,
    unsubscribe_address,
    update_preferences,
)
from paperfeed.digest.subscriptions import parse_request
from paperfeed.digest.tokens import LinkExpired, LinkSigner
from paperfeed.errors import InvalidInput
from paperfeed.models import ACTIVE, PENDING, UNSUBSCRIBED, Interest

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# --- the rules -------------------------------------------------------------------------------


def test_an_internationalized_domain_is_kept_in_its_ascii_form():
    assert parse_request("Ada@Bücher.de").email == "ada@xn--bcher-kva.de"


def test_a_request_is_normalized():
    request = parse_request("  Ada@Example.ORG ", frequency="weekly", timezone="Europe/Paris",
                            categories=["CS.CL", "cs", "cs.CL"], queries=["  diffusion   distillation "],
                            authors=["Yoshua  Bengio", ""])
    assert request.email == "ada@example.org"
    assert (request.frequency, request.timezone) == ("weekly", "Europe/Paris")
    assert request.interests == (Interest("category", "cs.CL"), Interest("category", "cs"),
                                 Interest("query", "diffusion distillation"), Interest("author", "Yoshua Bengio"))


@pytest.mark.parametrize(("email", "problem"), [
    ("", "must have an @-sign"),
    ("ada", "must have an @-sign"),
    ("ada@", "There must be something after the @-sign"),
    ("@example.org", "There must be something before the @-sign"),
    ("ada@@example.org", "invalid characters"),
    ("ada@localhost", "should have a period"),
    ("ada lovelace@example.org", "invalid character"),
    ("ada@exa mple.org", "invalid character"),
    ("ada..x@example.org", "two periods in a row"),
    ("x@" + ("a" * 60 + ".") * 5 + "org", "too long"),
    ("josé@example.org", "Internationalized characters before the @-sign are not supported"),
])
def test_invalid_addresses_are_refused_with_the_reason(email, problem):
    with pytest.raises(InvalidInput, match="is not a valid email address") as error:
        parse_request(email)
    assert problem in str(error.value)


@pytest.mark.parametrize(("fields", "message"), [
    ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone 'Mars/Olympus_Mons'"),
    ({"frequency": "hourly"}, "frequency must be daily or weekly"),
    ({"categories": ["computer science"]}, "is not an arXiv category"),
    ({"categories": ["cs.CL; DROP TABLE"]}, "is not an arXiv category"),
    ({"queries": ["x" * 201]}, "longer than 200 characters"),
    ({"authors": [f"Author {n}" for n in range(31)]}, "at most 30"),
])
def test_bad_interests_are_refused_clearly(fields, message):
    with pytest.raises(InvalidInput, match=message):
        parse_request("ada@example.org", **fields)


# --- signed links ----------------------------------------------------------------------------


@pytest.fixture
def signer() -> LinkSigner:
    return LinkSigner(SECRET, "https://papers.example.org", timedelta(hours=48))


def test_a_link_names_its_subscriber(signer):
    url = signer.url("confirm", 7, "ada@example.org", NOW)
    assert url.startswith("https://papers.example.org/subscriptions/confirm?token=")
    token = parse_qs(urlsplit(url).query)["token"][0]
    claim = signer.read("confirm", token, NOW + timedelta(hours=47))
    assert claim.subscriber_id == 7 and claim.matches("ada@example.org") and not claim.matches("bob@example.org")
    assert signer.url("unsubscribe", 7, "ada@example.org", NOW).startswith("https://papers.example.org/unsubscribe?")


def test_forged_or_damaged_tokens_are_refused(signer):
    token = signer.token("unsubscribe", 7, "ada@example.org", NOW)
    forged = LinkSigner("another-key-of-someone-else-0123456789", "https://x").token("unsubscribe", 7, "a@b.org", NOW)
    for bad in (token[:-2], token + "x", forged, "", "not-a-token", token.replace(".", "")):
        with pytest.raises(InvalidInput, match="this link is not valid"):
            signer.read("unsubscribe", bad, NOW)


def test_a_token_only_works_for_its_purpose(signer):
    token = signer.token("unsubscribe", 7, "ada@example.org", NOW)
    with pytest.raises(InvalidInput, match="not valid for this page"):
        signer.read("confirm", token, NOW)


def test_confirmation_links_expire_but_unsubscribe_links_do_not(signer):
    confirm_token = signer.token("confirm", 7, "ada@example.org", NOW)
    with pytest.raises(LinkExpired, match="expired: subscribe again"):
        signer.read("confirm", confirm_token, NOW + timedelta(hours=48, seconds=1))
    unsubscribe_token = signer.token("unsubscribe", 7, "ada@example.org", NOW)
    assert signer.read("unsubscribe", unsubscribe_token, NOW + timedelta(days=3650)).subscriber_id == 7


# --- double opt-in over a real store and SMTP server ------------------------------------------


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


@pytest.fixture
def settings(tmp_path, database_url, mailbox):
    return make_settings(tmp_path, database_url, mailbox)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(word for word in text.split() if word.startswith("https://papers.example.org/"))


def do_subscribe(engine, settings, email="ada@example.org", now=NOW, **fields):
    request = parse_request(email, categories=fields.pop("categories", ["cs.CL"]), **fields)
    with Mailer(settings) as mailer:
        return subscribe(engine, settings, LinkSigner.from_settings(settings), request, now, mailer)


def test_nothing_is_sent_until_the_confirmation_link_is_followed(engine, settings, mailbox):
    outcome = do_subscribe(engine, settings)
    assert outcome.needs_confirmation and outcome.mailed
    [mail] = mailbox.to("ada@example.org")
    assert link_in(mail) == outcome.link and "/subscriptions/confirm?token=" in outcome.link
    with engine.connect() as conn:
        assert store.find_subscriber(conn, "ada@example.org").status == PENDING
    # Due, but pending: no digest is planned.
    assert plan_digests(engine, settings, NOW + timedelta(days=1), write=False).due == 0

    signer = LinkSigner.from_settings(settings)
    subscriber = confirm(engine, signer, token_of(outcome.link), NOW + timedelta(hours=1))
    assert subscriber.status == ACTIVE and subscriber.interests == (Interest("category", "cs.CL"),)
    assert confirm(engine, signer, token_of(outcome.link), NOW + timedelta(hours=2)).status == ACTIVE  # twice: fine
    assert plan_digests(engine, settings, NOW + timedelta(days=1), write=False).due == 1


def test_an_expired_or_forged_confirmation_changes_nothing(engine, settings):
    outcome = do_subscribe(engine, settings)
    signer = LinkSigner.from_settings(settings)
    with pytest.raises(LinkExpired):
        confirm(engine, signer, token_of(outcome.link), NOW + timedelta(hours=49))
    with pytest.raises(InvalidInput):
        confirm(engine, signer, token_of(outcome.link)[:-3] + "abc", NOW)
    # A valid signature for another address (the subscriber id reused) is no good either.
    other = signer.token("confirm", outcome.subscriber_id, "mallory@example.org", NOW)
    with pytest.raises(InvalidInput, match="belongs to another subscription"):
        confirm(engine, signer, other, NOW)
    with engine.connect() as conn:
        assert store.find_subscriber(conn, "ada@example.org").status == PENDING


def test_subscribing_an_active_address_sends_its_preferences_link_and_changes_nothing(engine, settings, mailbox):
    first = do_subscribe(engine, settings)
    confirm(engine, LinkSigner.from_settings(settings), token_of(first.link), NOW)
    again = do_subscribe(engine, settings, categories=["math.AG"], now=NOW + timedelta(hours=1))
    assert not again.needs_confirmation and "/subscriptions/manage?token=" in again.link
    assert link_in(mailbox.to("ada@example.org")[-1]) == again.link
    with engine.connect() as conn:
        subscriber = store.find_subscriber(conn, "ada@example.org")
    assert subscriber.status == ACTIVE and subscriber.interests == (Interest("category", "cs.CL"),)


def test_confirmation_mails_are_not_repeated_within_minutes(engine, settings, mailbox):
    assert do_subscribe(engine, settings).mailed
    assert not do_subscribe(engine, settings, now=NOW + timedelta(minutes=1)).mailed
    assert do_subscribe(engine, settings, now=NOW + timedelta(minutes=6)).mailed
    assert len(mailbox.to("ada@example.org")) == 2


def test_unsubscribing_then_subscribing_again_needs_a_new_confirmation(engine, settings):
    signer = LinkSigner.from_settings(settings)
    first = do_subscribe(engine, settings)
    subscriber = confirm(engine, signer, token_of(first.link), NOW)
    leave = signer.token("unsubscribe", subscriber.id, subscriber.email, NOW)
    assert unsubscribe(engine, signer, leave, NOW).status == UNSUBSCRIBED
    assert unsubscribe(engine, signer, leave, NOW).status == UNSUBSCRIBED  # twice: fine
    with pytest.raises(InvalidInput, match="cancelled"):
        confirm(engine, signer, token_of(first.link), NOW)  # the old link does not bring it back
    back = do_subscribe(engine, settings, categories=["cs.LG"], now=NOW + timedelta(hours=1))
    assert back.needs_confirmation
    assert confirm(engine, signer, token_of(back.link), NOW + timedelta(hours=2)).interests == (
        Interest("category", "cs.LG"),)


def test_preferences_change_through_the_signed_link(engine, settings):
    signer = LinkSigner.from_settings(settings)
    subscriber = confirm(engine, signer, token_of(do_subscribe(engine, settings).link), NOW)
    manage = signer.token("manage", subscriber.id, subscriber.email, NOW)
    assert subscriber_for_token(engine, signer, "manage", manage, NOW).email == "ada@example.org"
    changed = update_preferences(engine, signer, manage, parse_request(
        "ada@example.org", frequency="weekly", timezone="Asia/Tokyo", queries=["protein folding"]), NOW)
    assert (changed.frequency, changed.timezone, changed.interests) == (
        "weekly", "Asia/Tokyo", (Interest("query", "protein folding"),))
    with pytest.raises(InvalidInput, match="address cannot be changed"):
        update_preferences(engine, signer, manage, parse_request("eve@example.org"), NOW)


def test_the_operator_can_unsubscribe_an_address(engine, settings):
    do_subscribe(engine, settings)
    assert unsubscribe_address(engine, "ada@example.org", NOW).status == UNSUBSCRIBED
    with pytest.raises(InvalidInput, match="not subscribed"):
        unsubscribe_address(engine, "nobody@example.org", NOW)
