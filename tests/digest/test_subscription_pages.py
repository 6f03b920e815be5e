"""The subscription pages and API through the real app (SQLite and PostgreSQL): the form, double
opt-in with a confirm button, preferences, and one-click unsubscribe (RFC 8058), which a mail client
POSTs with no session and no CSRF token, checked over a real uvicorn server."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from digest_factories import add_subscriber
from loopback_smtp import Mailbox

from factories import store_paper
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.digest.mailer import Mailer
from paperfeed.digest.sender import send_digests
from paperfeed.digest.tokens import LinkSigner
from web_client import build_app, serve, visit

SITE = "https://papers.example.org"


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


@pytest.fixture
def app(engine, tmp_path, mailbox):
    return build_app(engine, tmp_path, base_url=SITE, smtp_host="127.0.0.1", smtp_port=mailbox.port,
                     smtp_security="none", digest_retry_delay_s=0.0, mail_from="paperfeed <digest@example.org>")


@pytest.fixture
def visitor(app):
    with visit(app, base_url="https://testserver") as visitor:  # an https site: its cookies are Secure
        yield visitor


def status_of(engine, email: str) -> str | None:
    with engine.connect() as conn:
        subscriber = subscriber_store.find_subscriber(conn, email)
    return subscriber.status if subscriber else None


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(word for word in text.split() if word.startswith(SITE))


def local(url: str) -> str:
    """A link from a mail, as a path on the test app."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def form_token(html: str) -> str:
    return unescape(re.search(r'name="token" value="([^"]+)"', html).group(1))


def test_the_form_then_the_confirmation_link(visitor, engine, mailbox):
    page = visitor.client.get("/subscriptions")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text and 'value="cs.CL"' in page.text

    done = visitor.post_form("/subscriptions", {
        "email": "Ada@Example.org", "frequency": "weekly", "timezone": "Europe/Paris", "category": ["cs.CL"],
        "other_categories": "math.AG, hep-th", "queries": "diffusion distillation\n\n  protein folding ",
        "authors": "Yoshua Bengio"})
    assert done.status_code == 200 and "Check your inbox" in done.text
    assert status_of(engine, "ada@example.org") == "pending"

    link = link_in(mailbox.to("ada@example.org")[0])
    shown = visitor.client.get(local(link))  # a link scanner fetching it changes nothing
    assert shown.status_code == 200 and "Confirm the subscription" in shown.text
    assert "query: protein folding" in shown.text and "category: hep-th" in shown.text
    assert status_of(engine, "ada@example.org") == "pending"

    confirmed = visitor.post_form("/subscriptions/confirm", {"token": form_token(shown.text)})
    assert confirmed.status_code == 200 and "ada@example.org is subscribed" in confirmed.text
    assert status_of(engine, "ada@example.org") == "active"
    assert "/subscriptions/manage?token=" in confirmed.text


def test_a_form_with_mistakes_comes_back_with_each_one_named(visitor, engine):
    response = visitor.post_form("/subscriptions", {"email": "<b>ada@", "timezone": "Mars/Base",
                                                    "other_categories": "not a category!", "queries": "fine"})
    assert response.status_code == 400
    html = response.text
    for field in ("email", "timezone", "categories"):
        assert f'id="error-{field}"' in html
    assert "unknown time zone" in html and "not an arXiv category" in html
    assert "&lt;b&gt;ada@" in html and "<b>ada@" not in html  # what was typed comes back, escaped
    assert ">fine</textarea>" in html
    assert status_of(engine, "ada@") is None


def test_forms_need_the_csrf_token(visitor, engine):
    response = visitor.client.post("/subscriptions", data={"email": "ada@example.org"})
    assert response.status_code == 403 and status_of(engine, "ada@example.org") is None


def test_the_api_answers_the_same_for_new_and_subscribed_addresses(visitor, engine, mailbox):
    add_subscriber(engine, "bob@example.org", categories=["cs.CL"])
    for email in ("ada@example.org", "bob@example.org"):
        response = visitor.api("POST", "/api/subscriptions", json={"email": email, "categories": ["cs.LG"],
                                                                  "queries": ["graph neural networks"]})
        assert response.status_code == 202
        assert response.json() == {"email": email, "message": response.json()["message"]}
        assert "confirmation link" in response.json()["message"]
    assert status_of(engine, "ada@example.org") == "pending"
    assert "/subscriptions/manage?token=" in link_in(mailbox.to("bob@example.org")[0])  # not a new confirmation
    with engine.connect() as conn:
        assert [i.value for i in subscriber_store.find_subscriber(conn, "bob@example.org").interests] == ["cs.CL"]


def test_the_api_names_every_bad_field(visitor):
    response = visitor.api("POST", "/api/subscriptions", json={"email": "nope", "frequency": "hourly",
                                                              "authors": ["x" * 101]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error["details"]) == {"email", "frequency", "authors"}
    assert "not a valid email address" in error["message"]
    assert visitor.api("POST", "/api/subscriptions", json={"frequency": "daily"}).status_code == 422


@pytest.mark.parametrize("path", ["/subscriptions/confirm", "/subscriptions/manage", "/unsubscribe"])
def test_forged_links_get_a_clear_400(visitor, path):
    for token in ("", "forged.token", LinkSigner("not-the-key-" * 4, SITE).token("confirm", 1, "a@b.org",
                                                                                  datetime.now(UTC))):
        response = visitor.client.get(path, params={"token": token})
        assert response.status_code == 400 and "this link is not valid" in response.text


def test_an_expired_confirmation_link_says_so(visitor, app, engine):
    subscriber_id = add_subscriber(engine, "ada@example.org", status="pending")
    signer = LinkSigner.from_settings(app.state.settings)
    old = signer.token("confirm", subscriber_id, "ada@example.org", datetime(2020, 1, 1, tzinfo=UTC))
    response = visitor.post_form("/subscriptions/confirm", {"token": old})
    assert response.status_code == 400 and "expired: subscribe again" in response.text
    assert status_of(engine, "ada@example.org") == "pending"


def test_preferences_through_the_link(visitor, app, engine):
    subscriber_id = add_subscriber(engine, "ada@example.org", categories=["cs.CL"], queries=["old query"])
    token = LinkSigner.from_settings(app.state.settings).token("manage", subscriber_id, "ada@example.org",
                                                               datetime.now(UTC))
    page = visitor.client.get("/subscriptions/manage", params={"token": token})
    assert page.status_code == 200 and ">old query</textarea>" in page.text and 'value="cs.CL" checked' in page.text
    saved = visitor.post_form("/subscriptions/manage", {"token": token, "frequency": "weekly", "timezone": "Asia/Tokyo",
                                                        "other_categories": "quant-ph", "queries": "new query"})
    assert saved.status_code == 200 and "Saved." in saved.text
    with engine.connect() as conn:
        ada = subscriber_store.find_subscriber(conn, "ada@example.org")
    assert (ada.frequency, ada.timezone, [i.value for i in ada.interests]) == (
        "weekly", "Asia/Tokyo", ["quant-ph", "new query"])
    bad = visitor.post_form("/subscriptions/manage", {"token": token, "timezone": "Nowhere"})
    assert bad.status_code == 400 and "unknown time zone" in bad.text


def test_one_click_unsubscribe_from_a_real_digest_over_http(app, engine, mailbox):
    store_paper(engine, 1, announced_on=datetime.now(UTC).date(), categories=("cs.CL",))
    add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    settings = app.state.settings
    send_digests(engine, settings, datetime.now(UTC).replace(hour=23), mailer_factory=lambda: Mailer(settings),
                 signer=LinkSigner.from_settings(settings))
    [digest] = mailbox.to("ada@example.org")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = digest["List-Unsubscribe"].split(",")[0].strip(" <>")
    assert url.startswith(f"{SITE}/unsubscribe?token=")

    with serve(app) as base, httpx.Client(base_url=base) as mail_client:
        shown = mail_client.get(local(url))  # GET: a button, no change
        assert shown.status_code == 200 and "<button" in shown.text
        assert status_of(engine, "ada@example.org") == "active"
        # What a mail client sends (RFC 8058 section 3.2): no cookie, no CSRF token.
        response = mail_client.post(local(url), content="List-Unsubscribe=One-Click",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200 and "is unsubscribed" in response.text
        assert status_of(engine, "ada@example.org") == "unsubscribed"
        assert mail_client.post(local(url), content="List-Unsubscribe=One-Click").status_code == 200  # twice: fine
        forged = mail_client.post("/unsubscribe?token=forged.token", content="List-Unsubscribe=One-Click")
        assert forged.status_code == 400
        token = parse_qs(urlsplit(url).query)["token"][0]
        assert mail_client.post("/unsubscribe.json", data={"token": token}).json()["status"] == "unsubscribed"


def test_without_a_mail_server_the_form_says_so(engine, tmp_path):
    with visit(build_app(engine, tmp_path, base_url=SITE), base_url="https://testserver") as visitor:
        response = visitor.post_form("/subscriptions", {"email": "ada@example.org"})
    assert response.status_code == 503 and "cannot send mail" in response.text
