"""Votes: the counts shown (imported + local), vote and un-vote through forms and the API, signed-out
visitors, and concurrent clicks counted once (real server, SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from threading import Barrier

import httpx
import pytest
import sqlalchemy as sa

from factories import store_paper
from paperfeed.db.listings import upsert_listings
from paperfeed.db.schema import votes
from paperfeed.db.votes import cast_vote, create_user, upvote_counts, voted_by
from paperfeed.models import Listing
from paperfeed.web.redirects import safe_next
from web_client import PASSWORD, build_app, serve, sqlite_engine, visit

PAPER = "1706.03762"


@pytest.fixture
def site(tmp_path):
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        store_paper(engine, arxiv_id=PAPER)
        yield engine, visitor


def local_votes(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar_one()


# --- counts in the store ---------------------------------------------------------------------------------

def test_upvote_counts_add_the_imported_count_once_to_local_votes(engine):
    one = store_paper(engine, arxiv_id="2101.00001", title="One")
    two = store_paper(engine, arxiv_id="2101.00002", title="Two")
    three = store_paper(engine, arxiv_id="2101.00003", title="Three")
    with engine.begin() as conn:
        # Featured on two days: the source's count is per paper, so the higher one counts, once.
        upsert_listings(conn, [Listing(one, date(2024, 5, 1), "hf-daily", upvotes=10),
                               Listing(one, date(2024, 5, 2), "hf-daily", upvotes=12),
                               Listing(two, date(2024, 5, 2), "user")])
        ada, bob = create_user(conn, "ada@example.org"), create_user(conn, "bob@example.org")
        for user, paper in [(ada, one), (bob, one), (ada, two)]:
            cast_vote(conn, user, paper)

        assert upvote_counts(conn, [one, two, three]) == {one: 14, two: 1, three: 0}
        assert upvote_counts(conn, []) == {}
        assert voted_by(conn, ada, [one, two, three]) == {one, two}
        assert voted_by(conn, bob, [two, three]) == set()
        assert voted_by(conn, None, [one]) == set()


# --- forms and API -----------------------------------------------------------------------------------------

def test_vote_and_unvote_by_form_return_to_the_page_the_form_was_on(site):
    engine, visitor = site
    visitor.sign_up()

    voted = visitor.post_form(f"/papers/{PAPER}/vote", headers={"Referer": "http://testserver/trending?day=2"})
    again = visitor.post_form(f"/papers/{PAPER}/vote", {"next": "/search?q=attention"})

    assert (voted.status_code, voted.headers["location"]) == (303, "/trending?day=2")
    assert again.headers["location"] == "/search?q=attention"
    assert local_votes(engine) == 1  # a second vote is no second vote
    page = visitor.client.get(f"/papers/{PAPER}.json").json()
    assert (page["upvotes"], page["voted"]) == (1, True)

    gone = visitor.post_form(f"/papers/{PAPER}/unvote", headers={"Referer": "https://evil.example/x"})
    assert gone.headers["location"] == f"/papers/{PAPER}"  # not back to another site
    assert local_votes(engine) == 0


def test_vote_answers_json_with_the_count_shown(site):
    engine, visitor = site
    with engine.begin() as conn:
        upsert_listings(conn, [Listing(1, date(2024, 5, 1), "hf-daily", upvotes=41)])
    visitor.sign_up()

    up = visitor.api("POST", f"/papers/{PAPER}/vote")
    down = visitor.api("POST", f"/papers/{PAPER}/unvote")

    assert up.json() == {"paper": PAPER, "upvotes": 42, "voted": True}
    assert down.json() == {"paper": PAPER, "upvotes": 41, "voted": False}


def test_api_vote_and_delete(site):
    engine, visitor = site
    visitor.sign_up()
    assert visitor.api("POST", f"/api/papers/arXiv:{PAPER}v2/vote").json() == {
        "paper": PAPER, "upvotes": 1, "voted": True}
    assert visitor.api("DELETE", f"/api/papers/{PAPER}/vote").json() == {"paper": PAPER, "upvotes": 0, "voted": False}
    missing = visitor.api("POST", "/api/papers/2999.99999/vote")
    assert missing.status_code == 404 and "2999.99999" in missing.json()["error"]["message"]
    assert local_votes(engine) == 0


def test_signed_out_votes_get_401_json_or_the_sign_in_page(site):
    engine, visitor = site

    api = visitor.api("POST", f"/api/papers/{PAPER}/vote")
    json_form = visitor.api("POST", f"/papers/{PAPER}/vote")
    form = visitor.post_form(f"/papers/{PAPER}/vote", {"next": "/trending"})

    assert (api.status_code, json_form.status_code) == (401, 401)
    assert api.json()["error"]["message"] == "Sign in to vote."
    assert form.status_code == 303 and form.headers["location"] == "/sign-in?next=%2Ftrending&why=vote"
    page = visitor.client.get(form.headers["location"])
    assert "Sign in to upvote papers." in page.text and 'name="next" value="/trending"' in page.text
    assert local_votes(engine) == 0

    signed_in = visitor.post_form("/sign-up", {"email": "ada@example.org", "password": PASSWORD,
                                               "next": "/trending"})
    assert signed_in.headers["location"] == "/trending"


def test_concurrent_votes_of_one_user_count_once(engine, tmp_path):
    """Eight clicks at once through a real server: the votes primary key and ON CONFLICT DO NOTHING
    leave one vote, and no request fails."""
    store_paper(engine, arxiv_id=PAPER)
    app = build_app(engine, tmp_path)
    with serve(app) as url, httpx.Client(base_url=url) as client:
        token = _sign_up(client)
        start = Barrier(8)

        def click(_n: int) -> int:
            start.wait()
            return client.post(f"/papers/{PAPER}/vote", headers={"X-CSRF-Token": token,
                                                                 "Accept": "application/json"}).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(click, range(8)))
        shown = client.get(f"/papers/{PAPER}.json").json()["upvotes"]

    assert statuses == [200] * 8
    assert local_votes(engine) == 1 and shown == 1


def _sign_up(client: httpx.Client) -> str:
    """Sign up on a live server; returns the new session's CSRF token."""
    page = client.get("/sign-up")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/sign-up", data={"email": "ada@example.org", "password": PASSWORD},
                           headers={"X-CSRF-Token": token, "Accept": "application/json"})
    assert response.status_code == 201
    return response.json()["csrf_token"]


# --- where a form sends the visitor back to (pure) ---------------------------------------------------------

@pytest.mark.parametrize(("target", "expected"), [
    ("/papers/2104.12255?x=1#top", "/papers/2104.12255?x=1#top"),
    ("/", "/"),
    (None, "/fallback"),
    ("", "/fallback"),
    ("papers/1", "/fallback"),
    ("https://evil.example/", "/fallback"),
    ("//evil.example/", "/fallback"),
    ("/\\evil.example", "/fallback"),
    ("/\t/evil.example", "/fallback"),
    ("/ok\r\nSet-Cookie: x=1", "/fallback"),
    ("javascript:alert(1)", "/fallback"),
])
def test_safe_next(target, expected):
    assert safe_next(target, "/fallback") == expected
