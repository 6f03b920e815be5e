"""Personal API tokens: created and revoked on /account/tokens (forms and JSON), shown once, stored as
sha256 only; sent as `Authorization: Bearer`, they make a script's request its reader's with no cookie
and no CSRF token; a bad or revoked one is a 401, never an anonymous request; rate limits count them."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from factories import store_paper
from paperfeed.db.api_tokens import MAX_TOKENS, create_token, find_token_user, list_tokens, revoke_token
from paperfeed.db.schema import api_tokens, listings, users, votes
from paperfeed.db.users import create_user
from paperfeed.errors import InvalidInput
from paperfeed.web.sessions import COOKIE_NAME, INVALID_TOKEN
from replay_server import closed_port_url
from web_client import build_app, serve, sqlite_engine, visit

PAPER = "1706.03762"
SHOWN_TOKEN = re.compile(r'<code class="api-token">(pf_[A-Za-z0-9_-]+)</code>')
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    """SQLite with one paper, for the web tests (the store tests use conftest's `engine`: PostgreSQL too)."""
    with sqlite_engine(tmp_path) as engine:
        store_paper(engine, arxiv_id=PAPER)
        yield engine


@pytest.fixture
def app(db, tmp_path):
    return build_app(db, tmp_path, arxiv_api_url=f"{closed_port_url()}/api/query")  # never fetches


@pytest.fixture
def ada(app):
    with visit(app) as visitor:
        visitor.sign_up("ada@example.org")
        yield visitor


def new_token(visitor, name: str = "vote script") -> dict:
    """A token made through the JSON answer of the form: {"id", "name", ..., "token"}."""
    response = visitor.api("POST", "/account/tokens", data={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["created"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def script(app) -> TestClient:
    """A new client with no cookie and no CSRF token, as a script starts out."""
    return TestClient(app)


def vote_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(votes.c.user_id, votes.c.paper_id))]


# --- the store -----------------------------------------------------------------------------------------------

def test_store_keeps_only_the_hash_and_finds_the_reader_by_the_token(engine):
    with engine.begin() as conn:
        ada, bob = create_user(conn, "ada@example.org", "ada"), create_user(conn, "bob@example.org")
        token, secret = create_token(conn, ada, "  nightly   sync ", now=T0)
        stored = conn.execute(sa.select(api_tokens)).one()

        assert secret.startswith("pf_") and len(secret) == 3 + 43  # 32 random bytes, URL-safe base64
        assert (token.name, token.created_at, token.last_used_at) == ("nightly sync", T0, None)
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in [str(value) for value in stored]

        user, used = find_token_user(conn, secret, now=T0 + timedelta(seconds=5))
        assert (user.id, user.email, user.username, used.id) == (ada, "ada@example.org", "ada", token.id)
        assert used.last_used_at == T0 + timedelta(seconds=5)
        # Rewritten at most once a minute: no write on every request.
        assert find_token_user(conn, secret, now=T0 + timedelta(seconds=50))[1].last_used_at == used.last_used_at
        later = T0 + timedelta(seconds=70)
        assert find_token_user(conn, secret, now=later)[1].last_used_at == later
        assert list_tokens(conn, ada)[0].last_used_at == later

        for wrong in ["", "pf_", secret[:-1], secret + "x", secret.upper(), "hf_" + secret[3:], "pf_" + "a" * 5000]:
            assert find_token_user(conn, wrong) is None, wrong
        assert revoke_token(conn, bob, token.id) is False  # not bob's
        assert list_tokens(conn, bob) == []
        assert revoke_token(conn, ada, token.id) is True
        assert find_token_user(conn, secret) is None


def test_store_refuses_a_blank_or_long_name_and_more_than_the_maximum(engine):
    with engine.begin() as conn:
        ada = create_user(conn, "ada@example.org")
        for name in ["", "   ", "x" * 101]:
            with pytest.raises(InvalidInput):
                create_token(conn, ada, name)
        for n in range(MAX_TOKENS):
            create_token(conn, ada, f"script {n}")
        with pytest.raises(InvalidInput, match="revoke one"):
            create_token(conn, ada, "one too many")
        assert len(list_tokens(conn, ada)) == MAX_TOKENS


# --- a script with only a token ------------------------------------------------------------------------------

def test_a_script_with_only_the_token_upvotes_a_paper_through_a_real_server(app, db, ada):
    page = ada.post_form("/account/tokens", {"name": "vote script"})  # the form, as without JavaScript
    assert page.status_code == 201 and page.headers["cache-control"] == "no-store"
    token = SHOWN_TOKEN.search(page.text).group(1)

    with serve(app) as url, httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        voted = client.post(f"/api/papers/{PAPER}/vote")
        paper = client.get(f"/api/papers/{PAPER}")
        unvoted = client.delete(f"/api/papers/{PAPER}/vote")

    assert voted.status_code == 200, voted.text
    assert voted.json() == {"paper": PAPER, "upvotes": 1, "voted": True}
    assert paper.json()["voted"] is True  # the reads are the reader's too
    assert unvoted.json() == {"paper": PAPER, "upvotes": 0, "voted": False}
    assert not any("set-cookie" in r.headers for r in (voted, paper, unvoted))
    assert vote_rows(db) == []


def test_bearer_requests_need_no_csrf_token_and_never_get_a_cookie(app, db, ada):
    token = new_token(ada)["token"]
    client = script(app)

    by_api = client.post(f"/api/papers/{PAPER}/vote", headers=bearer(token))
    by_form_path = client.post(f"/papers/{PAPER}/unvote", headers=bearer(token))
    again = client.post(f"/papers/{PAPER}/vote", headers={"Authorization": f"bearer {token}"},
                        follow_redirects=False)  # the scheme is case-insensitive; a form post is redirected
    whoami = client.get("/sign-in.json", headers=bearer(token))
    html_page = client.get("/", headers={"Authorization": f"Bearer {token}"})

    assert (by_api.status_code, by_form_path.status_code, again.status_code) == (200, 200, 303)
    assert whoami.json()["user"]["email"] == "ada@example.org"
    assert html_page.status_code == 200 and "Signed in as ada@example.org" in html_page.text
    for response in (by_api, by_form_path, again, whoami, html_page):
        assert "set-cookie" not in response.headers
    assert COOKIE_NAME not in client.cookies
    with db.connect() as conn:
        user_id = conn.execute(sa.select(users.c.id).where(users.c.email == "ada@example.org")).scalar_one()
    assert vote_rows(db) == [(user_id, 1)]


def test_a_bearer_token_submits_a_paper(app, db, ada):
    token = new_token(ada)["token"]

    response = script(app).post("/submit", data={"arxiv_id": PAPER}, headers=bearer(token))

    assert response.status_code == 201, response.text
    assert response.json()["added"] is True
    with db.connect() as conn:
        assert conn.execute(sa.select(listings.c.source, listings.c.submitted_by)).all() == [("user", "ada")]


@pytest.mark.parametrize("presented", [
    "pf_" + "A" * 43,  # well-formed, never issued
    "",  # "Bearer" and nothing
    "hf_abcdefghijklmnop",  # a Hugging Face token, as huggingface_hub sends its saved one
    "pf_" + "A" * 5000,
], ids=["never-issued", "empty", "other-site", "huge"])
@pytest.mark.parametrize("path", ["/api/trending", "/trending.json", f"/api/papers/{PAPER}/vote"])
def test_a_bad_token_is_a_401_never_an_anonymous_request(app, db, presented, path):
    method = "POST" if path.endswith("/vote") else "GET"
    response = script(app).request(method, path, headers={"Authorization": f"Bearer {presented}"})

    assert response.status_code == 401
    assert response.json() == {"error": {"status": 401, "message": INVALID_TOKEN}}
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert "set-cookie" not in response.headers
    assert vote_rows(db) == []


def test_a_revoked_token_is_a_401(app, ada):
    made = new_token(ada)
    client = script(app)
    assert client.get("/api/trending", headers=bearer(made["token"])).status_code == 200

    revoked = ada.post_form(f"/account/tokens/{made['id']}/revoke")

    assert revoked.status_code == 303 and revoked.headers["location"] == "/account/tokens"
    after = client.get("/api/trending", headers=bearer(made["token"]))
    assert after.status_code == 401 and after.headers["www-authenticate"].startswith("Bearer")


def test_other_authorization_schemes_are_left_alone(app):
    """A proxy's Basic authentication in front of the site is not ours to judge."""
    response = script(app).get("/api/trending", headers={"Authorization": "Basic YWRhOnNlY3JldA=="})
    assert response.status_code == 200


# --- the account page ----------------------------------------------------------------------------------------

def test_the_page_shows_a_new_token_once_then_only_its_name_and_dates(app, ada):
    created = ada.post_form("/account/tokens", {"name": "feed reader <script>"})
    token = SHOWN_TOKEN.search(created.text).group(1)
    assert "feed reader &lt;script&gt;" in created.text

    listed = ada.client.get("/account/tokens")
    as_json = ada.client.get("/account/tokens.json").json()

    assert listed.status_code == 200 and token not in listed.text
    assert "feed reader &lt;script&gt;" in listed.text and "never" in listed.text
    assert 'action="/account/tokens/1/revoke"' in listed.text and 'name="csrf_token"' in listed.text
    assert token not in str(as_json) and "created" not in as_json
    (entry,) = as_json["tokens"]
    assert set(entry) == {"id", "name", "created_at", "last_used_at"}
    assert entry["name"] == "feed reader <script>" and entry["last_used_at"] is None

    script(app).get("/api/trending", headers=bearer(token))
    assert ada.client.get("/account/tokens.json").json()["tokens"][0]["last_used_at"] is not None
    assert '<a href="/account/tokens">API tokens</a>' in ada.client.get("/").text


def test_creating_a_token_needs_a_signed_in_reader_the_csrf_token_and_a_name(app, ada):
    with visit(app) as stranger:
        to_sign_in = stranger.client.get("/account/tokens", follow_redirects=False)
        posted = stranger.post_form("/account/tokens", {"name": "x"})
        as_json = stranger.api("POST", "/account/tokens", data={"name": "x"})
    assert to_sign_in.status_code == 303
    assert to_sign_in.headers["location"] == "/sign-in?next=%2Faccount%2Ftokens&why=tokens"
    assert posted.status_code == 303 and as_json.status_code == 401
    assert as_json.headers["www-authenticate"] == 'Bearer realm="paperfeed"'

    no_csrf = ada.client.post("/account/tokens", data={"name": "x"})
    blank_form = ada.post_form("/account/tokens", {"name": "  "})
    blank_json = ada.api("POST", "/account/tokens", data={"name": ""})

    assert no_csrf.status_code == 403
    assert blank_form.status_code == 400 and 'aria-invalid="true"' in blank_form.text
    assert blank_json.status_code == 400 and "name" in blank_json.json()["error"]["details"]
    assert ada.client.get("/account/tokens.json").json()["tokens"] == []


def test_a_token_cannot_mint_more_tokens(app, ada):
    token = new_token(ada)["token"]

    response = script(app).post("/account/tokens", data={"name": "successor"}, headers=bearer(token))

    assert response.status_code == 403
    assert len(ada.client.get("/account/tokens.json").json()["tokens"]) == 1


def test_readers_never_see_or_revoke_each_others_tokens(app, ada):
    adas = new_token(ada, "ada's script")
    with visit(app) as bob:
        bob.sign_up("bob@example.org")
        bobs = new_token(bob, "bob's script")

        assert [t["name"] for t in bob.client.get("/account/tokens.json").json()["tokens"]] == ["bob's script"]
        assert "ada's script" not in bob.client.get("/account/tokens").text
        by_form = bob.post_form(f"/account/tokens/{adas['id']}/revoke")
        by_api = bob.api("DELETE", f"/account/tokens/{adas['id']}")
        by_bobs_token = script(app).delete(f"/account/tokens/{adas['id']}", headers=bearer(bobs["token"]))

    assert (by_form.status_code, by_api.status_code, by_bobs_token.status_code) == (404, 404, 404)
    assert script(app).get("/api/trending", headers=bearer(adas["token"])).status_code == 200
    mine = ada.api("DELETE", f"/account/tokens/{adas['id']}")
    assert mine.status_code == 200 and mine.json() == {"revoked": adas["id"]}
    assert ada.client.get("/account/tokens.json").json()["tokens"] == []


@pytest.mark.parametrize("token_id", ["0", "-1", "x", str(2**31), str(10**30)])
def test_revoking_a_nonsense_id_is_a_4xx(ada, token_id):
    assert ada.api("DELETE", f"/account/tokens/{token_id}").status_code == 422


# --- rate limits ---------------------------------------------------------------------------------------------

def test_creating_tokens_is_rate_limited_per_account(db, tmp_path):
    with visit(build_app(db, tmp_path, rules={"create-token": {"account": "2/hour"}})) as visitor:
        visitor.sign_up()
        new_token(visitor, "one")
        new_token(visitor, "two")
        third = visitor.api("POST", "/account/tokens", data={"name": "three"})

    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert "Too many new API tokens for this account" in third.json()["error"]["message"]


def test_bearer_requests_are_rate_limited_per_account_across_its_tokens(db, tmp_path):
    app = build_app(db, tmp_path, rules={"api-request": {"account": "3/minute"}})
    with visit(app) as ada, visit(app) as bob:
        ada.sign_up("ada@example.org")
        bob.sign_up("bob@example.org")
        first, second, bobs = new_token(ada, "one")["token"], new_token(ada, "two")["token"], new_token(bob)["token"]
    client = script(app)

    statuses = [client.get("/api/trending", headers=bearer(t)).status_code for t in (first, second, first)]
    refused = client.post(f"/api/papers/{PAPER}/vote", headers=bearer(second))

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"]["message"].startswith("Too many API requests for this account")
    assert vote_rows(db) == []
    assert client.get("/api/trending", headers=bearer(bobs)).status_code == 200  # another account's allowance
