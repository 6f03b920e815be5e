"""CSRF: every state-changing request needs the session's token (form field or X-CSRF-Token header);
without it the answer is 403 and nothing changes. GET never changes anything."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from factories import store_paper
from paperfeed.db.schema import users, votes
from paperfeed.web.sessions import FAILED, csrf_token, token_matches
from web_client import PASSWORD, build_app, sqlite_engine, visit

KEY = "k" * 40


@pytest.fixture
def site(tmp_path):
    """(engine, visitor) on the app over SQLite, with one paper stored."""
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        store_paper(engine)
        yield engine, visitor


def counts(engine) -> tuple[int, int]:
    """(users, votes) in the store."""
    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (users, votes))


def test_token_is_bound_to_the_session_nonce_and_the_key():
    token = csrf_token(KEY, "nonce-1")
    assert token == csrf_token(KEY, "nonce-1")
    assert token != csrf_token(KEY, "nonce-2")
    assert token != csrf_token("another key entirely, 40 characters long", "nonce-1")
    assert "nonce-1" not in token


@pytest.mark.parametrize(("given", "matches"), [
    ("tok", True), ("tok ", False), ("TOK", False), ("", False), (None, False), (["tok"], False),
])
def test_token_comparison(given, matches):
    assert token_matches("tok", given) is matches


def test_token_comparison_without_a_session_token_never_matches():
    assert token_matches(None, "") is False and token_matches("", "") is False


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_the_right_token_is_refused_and_changes_nothing(site, token):
    engine, visitor = site
    data = {"email": "ada@example.org", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token

    response = visitor.client.post("/sign-up", data=data)

    assert response.status_code == 403
    assert "CSRF check failed" in response.text and "<html" in response.text
    assert counts(engine) == (0, 0)
    assert visitor.whoami() is None


def test_a_token_from_another_session_is_refused(site, tmp_path):
    engine, visitor = site
    visitor.sign_up()
    with visit(build_app(engine, tmp_path)) as attacker:
        their_token = attacker.token()  # a valid token, but for the attacker's own session

    response = visitor.client.post("/papers/1706.03762/vote", data={"csrf_token": their_token})

    assert response.status_code == 403
    assert counts(engine) == (1, 0)


def test_signing_in_changes_the_token(site):
    _engine, visitor = site
    visitor.sign_up()
    visitor.post_form("/sign-out")
    before = visitor.token()
    visitor.sign_in()
    assert visitor.token() != before
    assert visitor.client.post("/papers/1706.03762/vote", data={"csrf_token": before}).status_code == 403


def test_json_calls_with_the_session_cookie_need_the_header(site):
    engine, visitor = site
    visitor.sign_up()

    no_header = visitor.client.post("/api/papers/1706.03762/vote", headers={"Accept": "application/json"})
    wrong = visitor.client.delete("/api/papers/1706.03762/vote", headers={"X-CSRF-Token": "nope"})
    assert (no_header.status_code, wrong.status_code) == (403, 403)
    assert no_header.json() == {"error": {"status": 403, "message": FAILED}}
    assert counts(engine) == (1, 0)

    assert visitor.api("POST", "/api/papers/1706.03762/vote").status_code == 200
    assert counts(engine) == (1, 1)


def test_the_header_alone_is_enough_for_a_form_post(site):
    engine, visitor = site
    visitor.sign_up()
    response = visitor.client.post("/papers/1706.03762/vote", headers={"X-CSRF-Token": visitor.token()},
                                   follow_redirects=False)
    assert response.status_code == 303 and counts(engine) == (1, 1)


def test_get_never_changes_state(site):
    engine, visitor = site
    visitor.sign_up()
    for path in ["/papers/1706.03762/vote", "/papers/1706.03762/unvote", "/api/papers/1706.03762/vote",
                 "/sign-out", "/sign-up?email=bob@example.org&password=long+enough+pw",
                 "/submit?arxiv_id=1706.03762"]:
        response = visitor.client.get(path, follow_redirects=False)
        assert response.status_code in (200, 404, 405), path
    assert counts(engine) == (1, 0)
    assert visitor.whoami()["email"] == "ada@example.org"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM listings")).scalar_one() == 0
