"""The library's JSON API (SQLite and PostgreSQL): a script with an API token saves, lists, annotates,
files, rates and removes papers and manages collections; a session needs its CSRF token; changes are
rate-limited like votes; signed out, every endpoint is a 401; deleted papers leave nothing behind."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from factories import store_paper
from paperfeed.db.schema import collections, papers, ratings, saved_papers
from web_client import build_app, visit

ENDPOINTS = [
    ("GET", "/api/library", None), ("POST", "/api/library", {"paper": "2405.00001"}),
    ("DELETE", "/api/library/papers/2405.00001", None), ("PUT", "/api/library/papers/2405.00001/note", {"note": "x"}),
    ("PUT", "/api/library/papers/2405.00001/collections", {"collections": []}),
    ("GET", "/api/library/collections", None), ("POST", "/api/library/collections", {"name": "x"}),
    ("PATCH", "/api/library/collections/1", {"name": "y"}), ("DELETE", "/api/library/collections/1", None),
    ("GET", "/api/library/learned", None), ("POST", "/api/papers/2405.00001/rating", {"rating": "more"}),
    ("DELETE", "/api/papers/2405.00001/rating", None), ("DELETE", "/api/ratings", None),
]


@pytest.fixture
def app(engine, tmp_path):
    for n in range(1, 6):
        store_paper(engine, n, abstract=f"Abstract of paper {n}.")
    return build_app(engine, tmp_path)


@pytest.fixture
def script(app):
    """A client with nothing but an API token, made by a signed-in reader on /account/tokens."""
    with visit(app) as visitor:
        visitor.sign_up("ada@example.org")
        token = visitor.api("POST", "/account/tokens", data={"name": "library script"}).json()["created"]["token"]
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_a_script_keeps_a_library_with_an_api_token(script, engine):
    reading = script.post("/api/library/collections", json={"name": "Reading"})
    first, later = reading.json()["id"], script.post("/api/library/collections", json={"name": "Later"}).json()["id"]
    saved = script.post("/api/library", json={"paper": "arXiv:2405.00001v2", "collections": [first],
                                              "note": "method in §3"})
    script.post("/api/library", json={"paper": "2405.00002", "collections": [later]})
    script.post("/api/library", json={"paper": "2405.00003"})
    noted = script.put("/api/library/papers/2405.00003/note", json={"note": "skim"})
    filed = script.put("/api/library/papers/2405.00003/collections", json={"collections": [later, first]})
    rated = script.post("/api/papers/2405.00002/rating", json={"rating": "less"})

    assert reading.status_code == 201 and reading.json()["name"] == "Reading" and reading.json()["papers"] == 0
    assert saved.status_code == 200 and saved.json()["paper"] == "2405.00001"
    assert (saved.json()["note"], saved.json()["collections"]) == ("method in §3", [{"id": first, "name": "Reading"}])
    assert noted.json()["note"] == "skim"
    assert [c["name"] for c in filed.json()["collections"]] == ["Reading", "Later"]
    assert rated.json()["rating"] == "less"

    everything = script.get("/api/library?limit=2")
    rest = script.get(everything.headers["link"].split(">")[0].lstrip("<"))
    in_later = script.get(f"/api/library?collection={later}")
    searched = script.get("/api/library?q=SKIM")
    listed = script.get("/api/library/collections").json()
    assert [i["paper"]["id"] for i in everything.json()] == ["2405.00003", "2405.00002"]
    assert everything.headers["x-total-count"] == "3" and 'rel="next"' in everything.headers["link"]
    assert [i["paper"]["id"] for i in rest.json()] == ["2405.00001"] and "link" not in rest.headers
    assert [i["paper"]["id"] for i in in_later.json()] == ["2405.00003", "2405.00002"]
    assert in_later.json()[1]["rating"] == "less"
    assert [i["paper"]["id"] for i in searched.json()] == ["2405.00003"]
    assert [(c["name"], c["papers"]) for c in listed] == [("Reading", 2), ("Later", 2)]

    learned = script.get("/api/library/learned").json()
    assert [p["paper"] for p in learned["positives"]] == ["2405.00003", "2405.00001"]
    assert [p["paper"] for p in learned["negatives"]] == ["2405.00002"]
    assert script.delete("/api/papers/2405.00002/rating").json()["rating"] is None
    assert script.delete("/api/ratings").json() == {"cleared": 0}

    renamed = script.patch(f"/api/library/collections/{later}", json={"name": "Someday"})
    deleted = script.delete(f"/api/library/collections/{later}")
    removed = script.delete("/api/library/papers/2405.00001")
    assert renamed.json()["name"] == "Someday" and deleted.json() == {"deleted": later}
    assert removed.json() == {"paper": "2405.00001", "saved": False, "savedAt": None, "note": None,
                              "collections": [], "rating": None}
    assert [i["paper"]["id"] for i in script.get("/api/library").json()] == ["2405.00003", "2405.00002"]
    assert script.get(f"/api/library?collection={later}").status_code == 404


@pytest.mark.parametrize(("method", "url", "body", "status", "message"), [
    ("POST", "/api/library", {"paper": "2999.99999"}, 404, "no paper '2999.99999'"),
    ("POST", "/api/library", {"paper": "2405.00001", "collections": [12345]}, 404,
     "you have no collection with id 12345"),
    ("POST", "/api/library", {"paper": "2405.00001", "note": "x" * 2001}, 422, "note"),
    ("POST", "/api/library", {"paper": "2405.00001", "note": "a\x00b"}, 422, "note"),
    ("POST", "/api/library", {"paper": "2405.00001", "collections": [2**31]}, 422, "collections"),
    ("PUT", "/api/library/papers/2405.00004/note", {"note": "not saved"}, 404, "not in your library"),
    ("POST", "/api/library/collections", {"name": "x" * 101}, 422, "name"),
    ("POST", "/api/library/collections", {"name": " "}, 400, "a collection needs a name"),
    ("PATCH", "/api/library/collections/99", {"name": "y"}, 404, "you have no collection with id 99"),
    ("POST", "/api/papers/2405.00001/rating", {"rating": "maybe"}, 422, "rating"),
])
def test_bad_requests_are_4xx_with_a_message(script, method, url, body, status, message):
    response = script.request(method, url, json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]


def test_a_taken_collection_name_is_a_400(script):
    script.post("/api/library/collections", json={"name": "Reading"})
    again = script.post("/api/library/collections", json={"name": "reading"})
    assert again.status_code == 400 and "already" in again.json()["error"]["message"]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_signed_out_every_endpoint_is_a_401(app, method, url, body):
    with TestClient(app) as client:
        response = client.request(method, url, json=body)
    assert response.status_code in (401, 403)  # changes without a session's CSRF token stop even earlier
    if method == "GET":
        assert response.status_code == 401 and "Sign in" in response.json()["error"]["message"]


def test_a_session_needs_its_csrf_token_and_nothing_changes_without_it(app, engine):
    with visit(app) as visitor:
        visitor.sign_up()
        headers = {"Accept": "application/json"}
        refused = [
            visitor.client.post("/api/library", json={"paper": "2405.00001"}, headers=headers),
            visitor.client.post("/api/library/collections", json={"name": "x"}, headers=headers),
            visitor.client.post("/api/papers/2405.00001/rating", json={"rating": "more"}, headers=headers),
            visitor.client.post("/papers/2405.00001/save", headers=headers),
            visitor.client.post("/papers/2405.00001/rating", data={"rating": "more"}),
            visitor.client.post("/library/collections", data={"name": "x", "csrf_token": "forged"}),
        ]
        accepted = visitor.api("POST", "/api/library", json={"paper": "2405.00001"})

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("CSRF check failed" in r.text for r in refused)
    assert accepted.status_code == 200
    assert (count(engine, saved_papers), count(engine, collections), count(engine, ratings)) == (1, 0, 0)


def test_ratings_and_library_changes_are_rate_limited_per_account(engine, tmp_path):
    store_paper(engine, 1)
    app = build_app(engine, tmp_path, rules={"rate": {"account": "3/minute"}, "library": {"account": "2/minute"}})
    with visit(app) as visitor:
        visitor.sign_up()
        rates = [visitor.api("POST", "/api/papers/2405.00001/rating", json={"rating": r}).status_code
                 for r in ("more", "less", "more", "less")]
        by_form = visitor.api("POST", "/papers/2405.00001/rating", data={"rating": "none"})
        saves = [visitor.api("POST", "/papers/2405.00001/save"),
                 visitor.api("DELETE", "/api/library/papers/2405.00001"),
                 visitor.api("POST", "/api/library", json={"paper": "2405.00001"})]

    assert rates == [200, 200, 200, 429] and by_form.status_code == 429
    assert "Too many ratings for this account" in by_form.json()["error"]["message"]
    assert int(by_form.headers["Retry-After"]) > 0
    assert [r.status_code for r in saves] == [200, 200, 429]
    assert "Too many changes to your library" in saves[2].json()["error"]["message"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(ratings.c.value)).scalar_one() == 1  # the third rating, the last allowed
    assert count(engine, saved_papers) == 0


def test_a_deleted_paper_leaves_the_rest_of_the_library_whole(script, engine):
    script.post("/api/library/collections", json={"name": "Reading"})
    for n in (1, 2):
        script.post("/api/library", json={"paper": f"2405.0000{n}", "collections": [1], "note": "note"})
        script.post(f"/api/papers/2405.0000{n}/rating", json={"rating": "more"})
    with engine.begin() as conn:
        conn.execute(papers.delete().where(papers.c.arxiv_id == "2405.00001"))

    assert [i["paper"]["id"] for i in script.get("/api/library").json()] == ["2405.00002"]
    assert script.get("/api/library/collections").json()[0]["papers"] == 1
    assert [p["paper"] for p in script.get("/api/library/learned").json()["positives"]] == ["2405.00002"]
    assert (count(engine, saved_papers), count(engine, ratings)) == (1, 1)
