"""A paper's discussion through the real app on SQLite, with a real SMTP server on loopback for the
mention mails: post and reply (forms and JSON), replies one level deep, edit and delete your own and
only your own, clear errors that store nothing, counts on cards and in the API, and @mentions mailed
once, with a working link, unless the reader turned them off."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import lxml.html
import pytest
import sqlalchemy as sa

from factories import feature, store_paper
from loopback_smtp import Mailbox
from paperfeed.db.schema import comments, mention_notices, users
from paperfeed.discussion import MAX_COMMENT_CHARS
from web_client import build_app, sqlite_engine, visit

PAPER, OTHER = "1706.03762", "2106.09685"
BASE = "http://papers.example.org"


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "mail.jsonl") as box:
        yield box


@pytest.fixture
def site(tmp_path, mailbox):
    with sqlite_engine(tmp_path) as engine:
        paper_id = store_paper(engine, arxiv_id=PAPER, title="Attention Is All You Need")
        store_paper(engine, arxiv_id=OTHER, title="LoRA")
        feature(engine, paper_id, date(2026, 12, 1))
        app = build_app(engine, tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_security="none",
                        base_url=BASE, mail_from="paperfeed <paperfeed@papers.example.org>")
        with visit(app) as ada, visit(app) as bob, visit(app) as stranger:
            ada.sign_up("ada@example.org", username="ada")
            bob.sign_up("bob@example.org", username="Bob")
            yield engine, ada, bob, stranger


def post(visitor, body, paper=PAPER, **fields):
    return visitor.post_form(f"/papers/{paper}/comments", {"body": body, **fields})


def comment_id_of(response) -> int:
    return int(re.search(r"#comment-(\d+)$", response.headers["location"]).group(1))


def thread(visitor, paper=PAPER):
    return visitor.client.get(f"/papers/{paper}.json").json()["comments"]


def stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(comments)).scalar_one()


def test_a_comment_posted_without_javascript_shows_rendered_on_the_page(site):
    engine, ada, bob, stranger = site
    response = post(ada, "**Scaled** dot-product attention: $\\frac{QK^T}{\\sqrt{d_k}}$")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/papers/{PAPER}#comment-")
    page = stranger.client.get(f"/papers/{PAPER}").text
    anchor = f'id="comment-{comment_id_of(response)}"'
    article = page[page.index(anchor):]
    assert "<strong>Scaled</strong>" in article[:2000]
    assert 'class="math" data-tex="\\frac{QK^T}{\\sqrt{d_k}}"' in article[:2000]
    assert '<span class="comment-author">ada</span>' in article[:2000]
    assert "Sign in</a> to join the discussion" in page  # a signed-out visitor reads, and is asked to sign in
    [comment] = thread(stranger)
    assert (comment["author"], comment["body"], comment["mine"]) == ("ada", "**Scaled** dot-product attention: "
                                                                      "$\\frac{QK^T}{\\sqrt{d_k}}$", False)
    assert thread(ada)[0]["mine"] is True


def test_a_json_post_answers_with_the_comments_html_for_the_page(site):
    engine, ada, bob, stranger = site
    response = ada.api("POST", f"/papers/{PAPER}/comments", data={"body": "First!"})
    assert response.status_code == 201
    data = response.json()
    assert data["comment"]["body"] == "First!" and data["paper"] == PAPER
    assert f'id="comment-{data["comment"]["id"]}"' in data["html"] and 'class="reply-box"' in data["html"]
    reply = ada.api("POST", f"/papers/{PAPER}/comments", data={"body": "And a reply", "parent": data["comment"]["id"]})
    assert 'class="reply-box"' not in reply.json()["html"]  # a reply has no reply box of its own


def test_replies_are_one_level_deep_and_stay_on_their_paper(site):
    engine, ada, bob, stranger = site
    top = comment_id_of(post(ada, "A question about positional encodings"))
    reply = comment_id_of(post(bob, "An answer", parent=str(top)))
    deeper = comment_id_of(post(ada, "A reply to the answer", parent=str(reply)))
    [only] = thread(stranger)
    assert only["id"] == top and [r["id"] for r in only["replies"]] == [reply, deeper]
    assert all(r["parentId"] == top for r in only["replies"])
    elsewhere = post(bob, "Wrong thread", paper=OTHER, parent=str(top))
    assert elsewhere.status_code == 404
    assert stored(engine) == 3


def test_only_the_author_edits_or_deletes_a_comment(site):
    engine, ada, bob, stranger = site
    mine = comment_id_of(post(ada, "Tpyo"))
    for visitor in (bob, stranger):
        assert visitor.post_form(f"/comments/{mine}/edit", {"body": "defaced"}).status_code in (403, 303)
        assert visitor.api("PATCH", f"/api/comments/{mine}", json={"body": "defaced"}).status_code in (401, 403)
        assert visitor.api("DELETE", f"/api/comments/{mine}").status_code in (401, 403)
    assert bob.post_form(f"/comments/{mine}/edit", {"body": "defaced"}).status_code == 403
    assert bob.client.get(f"/comments/{mine}/edit").status_code == 403
    assert thread(stranger)[0]["body"] == "Tpyo"
    edit_page = ada.client.get(f"/comments/{mine}/edit")
    assert edit_page.status_code == 200 and ">Tpyo</textarea>" in edit_page.text
    assert ada.post_form(f"/comments/{mine}/edit", {"body": "Typo"}).status_code == 303
    [edited] = thread(stranger)
    assert edited["body"] == "Typo" and edited["editedAt"] is not None
    assert "(edited)" in stranger.client.get(f"/papers/{PAPER}").text


def test_a_deleted_comment_keeps_its_replies_in_place_until_they_go_too(site):
    engine, ada, bob, stranger = site
    top = comment_id_of(post(ada, "Top"))
    reply = comment_id_of(post(bob, "Reply", parent=str(top)))
    alone = comment_id_of(post(ada, "Alone"))
    assert ada.post_form(f"/comments/{alone}/delete").status_code == 303
    assert ada.api("DELETE", f"/api/comments/{top}").json() == {"deleted": top}
    [kept] = thread(stranger)
    assert kept["deleted"] and kept["body"] is None and kept["author"] is None
    assert [r["body"] for r in kept["replies"]] == ["Reply"]
    page = stranger.client.get(f"/papers/{PAPER}").text
    assert "Comment deleted" in page and ">Top<" not in page
    assert ada.post_form(f"/comments/{top}/edit", {"body": "back"}).status_code == 404
    assert bob.post_form(f"/comments/{reply}/delete").status_code == 303
    assert thread(stranger) == [] and stored(engine) == 0


@pytest.mark.parametrize(("body", "problem"), [
    ("", "a comment needs some text"),
    ("   \n\t ", "a comment needs some text"),
    ("x" * (MAX_COMMENT_CHARS + 1), f"at most {MAX_COMMENT_CHARS:,} characters"),
])
def test_an_empty_or_oversized_comment_is_a_clear_error_and_nothing_is_stored(site, body, problem):
    engine, ada, bob, stranger = site
    page = post(ada, body)
    assert page.status_code == 400 and problem in page.text
    response = ada.api("POST", f"/papers/{PAPER}/comments", data={"body": body})
    assert response.status_code == 400 and problem in response.json()["error"]["message"]
    assert stored(engine) == 0


def test_signed_out_visitors_are_sent_to_sign_in_and_scripts_get_401(site):
    engine, ada, bob, stranger = site
    form = post(stranger, "hello")
    assert form.status_code == 303 and form.headers["location"].startswith("/sign-in?")
    assert stranger.api("POST", f"/api/papers/{PAPER}/comments", json={"body": "hello"}).status_code == 401
    assert post(ada, "hello", paper="9999.99999").status_code == 404
    assert stored(engine) == 0


def inert(fragment) -> bool:
    """No script, image or frame elements, no event-handler attributes, no link that is not http(s)/mailto."""
    if fragment.xpath(".//script | .//img | .//iframe | .//svg | .//style"):
        return False
    for element in fragment.iter():
        if not isinstance(element.tag, str):
            continue
        if any(name.lower().startswith("on") for name in element.attrib):
            return False
        href = "".join(element.get("href", "").split()).lower()
        if href and not href.startswith(("http://", "https://", "mailto:", "#", "/")):
            return False
    return True


def test_markup_in_a_comment_is_inert_on_the_page_and_in_the_json(site):
    engine, ada, bob, stranger = site
    hostile = '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> $</span><b>$'
    post(ada, hostile)
    page = lxml.html.fromstring(stranger.client.get(f"/papers/{PAPER}").text)
    [discussion] = page.xpath('//*[@id="discussion"]')
    assert inert(discussion)
    assert "<script>alert(1)</script>" in discussion.text_content()  # shown as the text it is
    assert inert(lxml.html.fragment_fromstring(thread(stranger)[0]["html"], create_parent="div"))


def test_comment_counts_show_on_cards_and_in_the_hf_shaped_api(site):
    engine, ada, bob, stranger = site
    top = comment_id_of(post(ada, "one"))
    post(bob, "two", parent=str(top))
    gone = comment_id_of(post(bob, "three"))
    bob.post_form(f"/comments/{gone}/delete")
    items = stranger.client.get("/api/daily_papers?date=2026-12-01").json()
    assert [(item["paper"]["id"], item["numComments"], item["paper"]["numComments"]) for item in items] == [
        (PAPER, 2, 2)]
    assert stranger.client.get(f"/api/papers/{PAPER}").json()["numComments"] == 2
    daily = stranger.client.get("/papers/daily?date=2026-12-01").text
    assert "2 comments</a>" in daily


def test_the_api_lists_posts_edits_and_deletes(site):
    engine, ada, bob, stranger = site
    created = ada.api("POST", f"/api/papers/{PAPER}/comments", json={"body": "via the API"})
    assert created.status_code == 201
    comment_id = created.json()["comment"]["id"]
    reply = bob.api("POST", f"/api/papers/{PAPER}/comments", json={"body": "reply", "parentId": comment_id})
    assert reply.json()["comment"]["parentId"] == comment_id
    edited = ada.api("PATCH", f"/api/comments/{comment_id}", json={"body": "edited via the API"})
    assert edited.json()["comment"]["body"] == "edited via the API"
    listed = stranger.client.get(f"/api/papers/{PAPER}/comments").json()
    assert listed["paper"] == PAPER
    assert [(c["body"], [r["body"] for r in c["replies"]]) for c in listed["comments"]] == [
        ("edited via the API", ["reply"])]


def test_a_mention_mails_the_named_reader_once_with_a_working_link(site, mailbox):
    engine, ada, bob, stranger = site
    response = post(ada, "@bob what do you make of this? (cc @ada, @nobody, `@not_code`)")
    comment_id = comment_id_of(response)
    [mail] = mailbox.to("bob@example.org")
    assert mailbox.counts() == {"bob@example.org": 1}  # not the author, not a name nobody has
    assert "ada mentioned you" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "@bob what do you make of this?" in text
    link = re.search(rf"{re.escape(BASE)}/papers/\S+", text).group(0)
    parts = urlsplit(link)
    assert parts.fragment == f"comment-{comment_id}"
    assert f'id="comment-{comment_id}"' in stranger.client.get(parts.path).text
    assert f"{BASE}/account/settings" in text
    # Edited to name bob again (and again): still one mail for this comment.
    ada.post_form(f"/comments/{comment_id}/edit", {"body": "@bob @Bob, thoughts?"})
    assert mailbox.counts() == {"bob@example.org": 1}


def test_a_reader_who_turned_mention_mail_off_gets_none(site, mailbox):
    engine, ada, bob, stranger = site
    settings_page = bob.client.get("/account/settings")
    assert 'name="mention_mail" value="true" checked' in settings_page.text
    assert bob.post_form("/account/settings", {}).status_code == 303  # the box unticked
    assert bob.client.get("/account/settings.json").json()["mentionMail"] is False
    post(ada, "@bob are you there?")
    assert mailbox.counts() == {}
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(mention_notices)).scalar_one() == 0


def test_html_in_a_mention_mail_is_escaped(site, mailbox):
    engine, ada, bob, stranger = site
    post(ada, "@bob <script>alert(1)</script> <b>bold</b>")
    [mail] = mailbox.to("bob@example.org")
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>bold</b>" not in html


def test_deleting_an_account_takes_its_comments_and_notices_along(site):
    engine, ada, bob, stranger = site
    top = comment_id_of(post(bob, "@ada see this"))
    post(ada, "ok", parent=str(top))
    with engine.begin() as conn:
        conn.execute(users.delete().where(users.c.username == "Bob"))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(comments)).scalar_one() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(mention_notices)).scalar_one() == 0


def test_the_discussed_view_lists_papers_by_their_latest_comment(site):
    engine, ada, bob, stranger = site
    assert "Nobody has commented on a paper in the past week" in stranger.client.get("/discussed").text
    post(ada, "first on attention")
    post(bob, "on LoRA", paper=OTHER)
    gone = comment_id_of(post(bob, "deleted, not counted", paper=OTHER))
    bob.post_form(f"/comments/{gone}/delete")
    papers = stranger.client.get("/discussed.json?window=day").json()["papers"]
    assert [(p["paper"]["id"], p["commentsInWindow"]) for p in papers] == [(OTHER, 1), (PAPER, 1)]
    page = stranger.client.get("/discussed?window=day").text
    assert page.index(f'data-key="{OTHER}"') < page.index(f'data-key="{PAPER}"')
    assert "1 comment in the past day" in page
