"""Building mails: both parts, reasons, escaping, readable without images, and the RFC 8058 headers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy

from digest_factories import make_settings

from factories import make_paper
from paperfeed.digest.message import DigestLinks, confirmation_message, digest_message
from paperfeed.models import Interest, Pick, SubscriptionRequest

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
LINKS = DigestLinks(
    manage_url="https://papers.example.org/subscriptions/manage?token=" + "m" * 120,
    unsubscribe_url="https://papers.example.org/unsubscribe?token=" + "u" * 120,
)
HOSTILE_TITLE = '<script>alert("x")</script> & <b>Bold</b> claims'


def wire_bytes(tmp_path, picks, **settings) -> bytes:
    """The digest as it goes over SMTP."""
    message = digest_message(make_settings(tmp_path, "sqlite://", **settings), to="ada@example.org",
                             frequency="daily", period="daily:2026-11-23", message_id="<fixed.1@papers.example.org>",
                             picks=picks, links=LINKS, now=NOW)
    return message.as_bytes()


def build(tmp_path, picks, **settings):
    """The digest as the receiving side parses it."""
    return message_from_bytes(wire_bytes(tmp_path, picks, **settings), policy=policy.default)


# What a mail shows of each paper: markup to escape, more authors than it names, a category, a day.
SHOWN = {"abstract": "An abstract with <i>markup</i> & more.", "categories": ("cs.CL",),
         "authors": ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
         "announced_on": date(2026, 11, 23)}
PICKS = [
    Pick(make_paper(1, title=HOSTILE_TITLE, abs_url="https://arxiv.org/abs/2405.00001",
                    pdf_url="https://arxiv.org/pdf/2405.00001", **SHOWN),
         ("matches your query 'diffusion distillation'",)),
    Pick(make_paper(2, title="A trending paper", abs_url="https://arxiv.org/abs/2405.00002",
                    pdf_url="https://arxiv.org/pdf/2405.00002", **SHOWN),
         ("trending: 42 votes",), "trending"),
]


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_a_digest_has_a_plain_text_and_an_html_part(tmp_path):
    message = build(tmp_path, PICKS)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "2 new papers for you · Monday 23 November 2026"
    assert message["From"] == "paperfeed <digest@papers.example.org>" and message["To"] == "ada@example.org"
    assert message["Message-ID"] == "<fixed.1@papers.example.org>"


def test_each_paper_shows_its_reason_and_link_in_both_parts(tmp_path):
    text, html = parts(build(tmp_path, PICKS))
    for body in (text, html):
        assert "matches your query 'diffusion distillation'" in body or \
            "matches your query &#39;diffusion distillation&#39;" in body
        assert "trending: 42 votes" in body
        assert "https://papers.example.org/papers/2405.00001" in body
        assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in body
    assert text.index("FOR YOU") < text.index("TRENDING")
    assert html.index("For you") < html.index("Trending")


def test_titles_and_abstracts_are_escaped_in_html_and_verbatim_in_text(tmp_path):
    text, html = parts(build(tmp_path, PICKS))
    assert "<script>" not in html and "<b>Bold</b>" not in html and "<i>markup</i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt; claims" in html
    assert HOSTILE_TITLE in text


def test_readable_without_images(tmp_path):
    _, html = parts(build(tmp_path, PICKS))
    assert "<img" not in html.lower() and "background-image" not in html


def test_one_click_unsubscribe_headers(tmp_path):
    message = build(tmp_path, PICKS)
    assert message["List-Unsubscribe"] == (f"<{LINKS.unsubscribe_url}>, "
                                           "<mailto:digest@papers.example.org?subject=unsubscribe>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = wire_bytes(tmp_path, PICKS).decode()
    # On the wire: one plain header, not RFC 2047 encoded words, which clients do not decode there.
    assert re.search(r"^List-Unsubscribe: <https://papers\.example\.org/unsubscribe\?token=u+>, <mailto:", raw, re.M)
    text, html = parts(message)
    assert LINKS.unsubscribe_url in text and LINKS.manage_url in text
    assert LINKS.unsubscribe_url in html.replace("&amp;", "&") and LINKS.manage_url in html.replace("&amp;", "&")


def test_the_unsubscribe_mailbox_can_be_another_address(tmp_path):
    message = build(tmp_path, PICKS, mail_unsubscribe_to="leave@papers.example.org")
    assert message["List-Unsubscribe"].endswith("<mailto:leave@papers.example.org?subject=unsubscribe>")


def test_a_weekly_digest_of_one_paper(tmp_path):
    message = digest_message(make_settings(tmp_path, "sqlite://"), to="ada@example.org", frequency="weekly",
                             period="weekly:2026-W48", message_id="<w@x>", picks=PICKS[:1], links=LINKS, now=NOW)
    assert message["Subject"] == "1 new paper for you · week 48 of 2026"
    assert "weekly digest" in message.get_body(("plain",)).get_content()


def test_a_confirmation_mail_names_the_interests_and_the_link(tmp_path):
    request = SubscriptionRequest("ada@example.org", "daily", "Europe/Paris", (
        Interest("category", "cs.CL"), Interest("query", "<b>tricky</b> query"), Interest("author", "Yoshua Bengio")))
    link = "https://papers.example.org/subscriptions/confirm?token=abc"
    message = confirmation_message(make_settings(tmp_path, "sqlite://"), request, link, NOW)
    text, html = parts(message_from_bytes(message.as_bytes(), policy=policy.default))
    assert link in text and link in html
    assert "new in cs.CL" in text and "papers matching '<b>tricky</b> query'" in text
    assert "&lt;b&gt;tricky&lt;/b&gt;" in html and "<b>tricky" not in html
    assert "valid for 48 hours" in text and "Europe/Paris" in text
    assert "List-Unsubscribe" not in message  # a transactional mail, not a list
