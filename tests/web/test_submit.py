"""Submitting a paper to today's feed: from the store, or fetched from the arXiv API (a real loopback
server replaying recorded export.arxiv.org responses), listed once per day under the user's name."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from conftest import shared_path
from factories import store_paper
from paperfeed.db.schema import listings, papers, users
from paperfeed.submissions import parse_arxiv_id
from replay_server import ReplayServer, Reply, closed_port_url
from web_client import build_app, sqlite_engine, visit

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def recorded_api(prefix: str) -> Reply:
    """The recorded export.arxiv.org response named '<prefix>_<hash>.json', served as recorded."""
    (path,) = shared_path("fixtures", "arxiv_api").glob(f"{prefix}_*.json")
    response = json.loads(path.read_text(encoding="utf-8"))
    return Reply(response["status_code"], response["body"], ATOM)


@pytest.fixture
def arxiv():
    routes = {
        "/api/query?id_list=1605.08386": recorded_api("id_1605.08386_s0_m100"),
        "/api/query?id_list=0000.0000": recorded_api("id_0000.0000_s0_m100"),  # arXiv: no such paper
    }
    with ReplayServer(routes) as server:
        yield server


def listing_rows(engine) -> list[tuple]:
    query = (sa.select(papers.c.arxiv_id, listings.c.day, listings.c.source, listings.c.submitted_by,
                       listings.c.submitted_by_user_id)
             .join(papers, papers.c.id == listings.c.paper_id).order_by(listings.c.id))
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def user_id(engine, email: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one()


@pytest.mark.parametrize(("text", "arxiv_id"), [
    ("2104.12255", "2104.12255"),
    (" arXiv:2104.12255v2 ", "2104.12255"),
    ("https://arxiv.org/abs/2104.12255v1", "2104.12255"),
    ("hep-th/9901001", "hep-th/9901001"),
])
def test_parse_arxiv_id(text, arxiv_id):
    assert parse_arxiv_id(text) == arxiv_id


def test_submit_a_stored_paper_lists_it_today_once_without_asking_arxiv(engine, tmp_path, arxiv):
    store_paper(engine, arxiv_id="1706.03762")
    app = build_app(engine, tmp_path, arxiv_api_url=f"{arxiv.url}/api/query")
    with visit(app) as visitor:
        visitor.sign_up(username="ada")
        first = visitor.post_form("/submit", {"arxiv_id": "arXiv:1706.03762v5"})
        second = visitor.post_form("/submit", {"arxiv_id": "1706.03762"})
        page = visitor.client.get(first.headers["location"])
        again = visitor.client.get(second.headers["location"])

    assert first.status_code == 303 and first.headers["location"] == "/submit?outcome=added&key=1706.03762"
    assert second.headers["location"] == "/submit?outcome=listed&key=1706.03762"
    assert "Attention Is All You Need</a> is on today&#39;s feed now." in page.text
    assert "was on today&#39;s feed already." in again.text
    today = datetime.now(UTC).date()
    assert listing_rows(engine) == [("1706.03762", today, "user", "ada", user_id(engine, "ada@example.org"))]
    assert arxiv.requests == []


def test_submit_a_new_paper_fetches_it_from_arxiv_and_stores_it(engine, tmp_path, arxiv):
    app = build_app(engine, tmp_path, arxiv_api_url=f"{arxiv.url}/api/query")
    with visit(app) as visitor:
        visitor.sign_up("grace@example.org")
        response = visitor.api("POST", "/submit", data={"arxiv_id": "https://arxiv.org/abs/1605.08386"})
        repeat = visitor.api("POST", "/submit", data={"arxiv_id": "1605.08386"})

    assert response.status_code == 201
    assert response.json() == {"paper": "1605.08386", "day": datetime.now(UTC).date().isoformat(), "added": True,
                               "fetched": True, "url": "/papers/1605.08386"}
    assert (repeat.status_code, repeat.json()["added"], repeat.json()["fetched"]) == (200, False, False)
    assert [r.query["id_list"] for r in arxiv.requests] == ["1605.08386"]  # fetched once, then from the store
    with engine.connect() as conn:
        stored = conn.execute(sa.select(papers.c.title, papers.c.authors, papers.c.sources)).one()
    assert tuple(stored) == ("Heat-bath random walks with Markov bases", ["Caprice Stanley", "Tobias Windisch"],
                             ["arxiv-api"])
    # No username: the public name is the email's local part, never the whole address.
    assert [row[3] for row in listing_rows(engine)] == ["grace"]


@pytest.mark.parametrize(("text", "status", "message"), [
    ("0000.0000", 404, "arXiv has no paper 0000.0000"),
    ("not an id", 400, "is not an arXiv id"),
    ("", 400, "enter an arXiv id"),
])
def test_submit_errors_come_back_on_the_form(tmp_path, arxiv, text, status, message):
    with sqlite_engine(tmp_path) as engine:
        app = build_app(engine, tmp_path, arxiv_api_url=f"{arxiv.url}/api/query")
        with visit(app) as visitor:
            visitor.sign_up()
            response = visitor.post_form("/submit", {"arxiv_id": text})
        assert listing_rows(engine) == []
    assert response.status_code == status
    assert message in response.text.replace("&#39;", "'")
    assert 'aria-describedby="error-arxiv_id hint-arxiv_id"' in response.text
    assert f'value="{text}"' in response.text


def test_submit_when_arxiv_is_unreachable_is_a_502_with_the_reason(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        app = build_app(engine, tmp_path, arxiv_api_url=f"{closed_port_url()}/api/query")
        with visit(app) as visitor:
            visitor.sign_up()
            response = visitor.api("POST", "/submit", data={"arxiv_id": "1605.08386"})
    assert response.status_code == 502
    assert "connection failed" in response.json()["error"]["message"]


def test_submit_needs_a_signed_in_user(tmp_path, arxiv):
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        form = visitor.post_form("/submit", {"arxiv_id": "1605.08386"})
        page = visitor.client.get("/submit", follow_redirects=False)
        api = visitor.api("POST", "/submit", data={"arxiv_id": "1605.08386"})
        assert listing_rows(engine) == []
    assert form.status_code == 303 and form.headers["location"] == "/sign-in?next=%2Fsubmit&why=submit"
    assert page.headers["location"] == form.headers["location"]
    assert api.status_code == 401
    assert arxiv.requests == []
