"""One reader never sees another's library (SQLite and PostgreSQL): not their saved papers, collections,
notes or ratings, through the pages, their JSON, the API or guessed collection ids, which answer
exactly as ids that never existed; nor can they change any of it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from factories import store_paper
from web_client import build_app, visit

SECRET_NOTE = "ada's private note: zebra-quartz-7"
SECRET_COLLECTION = "Ada's secret project"


@pytest.fixture
def readers(engine, tmp_path):
    """(ada, bob, ada's collection id): ada saved, noted, filed and rated papers 1 and 2; bob has his own
    collection, so ids exist on both sides."""
    for n in (1, 2, 3):
        store_paper(engine, n)
    app = build_app(engine, tmp_path)
    with visit(app) as ada, visit(app) as bob:
        ada.sign_up("ada@example.org")
        bob.sign_up("bob@example.org")
        secret = ada.api("POST", "/api/library/collections", json={"name": SECRET_COLLECTION}).json()["id"]
        for paper in ("2405.00001", "2405.00002"):
            ada.api("POST", "/api/library", json={"paper": paper, "collections": [secret], "note": SECRET_NOTE})
        ada.api("POST", "/api/papers/2405.00001/rating", json={"rating": "more"})
        ada.api("POST", "/api/papers/2405.00002/rating", json={"rating": "less"})
        bob.api("POST", "/api/library/collections", json={"name": "Bob's"})
        yield ada, bob, secret


def leaks(response) -> bool:
    return SECRET_NOTE in response.text or SECRET_COLLECTION in response.text or "Ada&#39;s secret" in response.text


def test_bobs_pages_and_json_hold_none_of_adas_library(readers):
    _, bob, _ = readers
    responses = [bob.client.get(url) for url in (
        "/library", "/library.json", "/library?q=zebra", "/library/learned", "/library/learned.json",
        "/papers/2405.00001", "/papers/2405.00001.json", "/papers/daily", "/categories/cs.CL",
        "/api/library", "/api/library/collections", "/api/library/learned", "/api/papers/2405.00001",
    )]

    assert [r.status_code for r in responses] == [200] * len(responses)
    assert not any(leaks(r) for r in responses)
    assert bob.client.get("/library.json").json()["items"] == []
    assert [c["name"] for c in bob.client.get("/api/library/collections").json()] == ["Bob's"]
    assert bob.client.get("/api/library/learned").json() == {"positives": [], "negatives": []}
    page = bob.client.get("/papers/2405.00001").text
    assert ">Save<" in page and 'aria-pressed="true"' not in page  # neither ada's save nor her rating


def test_adas_collection_id_is_to_bob_what_an_id_that_never_was_is(readers):
    ada, bob, secret = readers
    never = 99_999

    def both(ask):
        """What bob is told for ada's id and for an id nobody has, with the id itself blanked out."""
        return [(r.status_code, r.json()["error"]["message"].replace(str(collection_id), "ID"))
                for collection_id in (secret, never) for r in [ask(collection_id)]]

    attempts = {
        "page": both(lambda i: bob.api("GET", f"/library?collection={i}")),
        "api list": both(lambda i: bob.api("GET", f"/api/library?collection={i}")),
        "learned": both(lambda i: bob.api("GET", f"/api/library/learned?collection={i}")),
        "rename": both(lambda i: bob.api("PATCH", f"/api/library/collections/{i}", json={"name": "mine"})),
        "delete": both(lambda i: bob.api("DELETE", f"/api/library/collections/{i}")),
        "rename form": both(lambda i: bob.api("POST", f"/library/collections/{i}/rename", data={"name": "mine"})),
        "delete form": both(lambda i: bob.api("POST", f"/library/collections/{i}/delete")),
        "save into": both(lambda i: bob.api("POST", "/api/library", json={"paper": "2405.00003", "collections": [i]})),
        "export": both(lambda i: bob.api("GET", f"/api/library/export?collection={i}&format=bibtex")),
    }

    for what, (theirs, nobodys) in attempts.items():
        assert theirs == nobodys, what
        assert theirs[0] == 404, what
    listed = ada.api("GET", "/api/library/collections").json()
    assert [(c["name"], c["papers"]) for c in listed] == [(SECRET_COLLECTION, 2)]
    assert bob.client.get("/library.json").json()["items"] == []  # the refused save left nothing behind


def test_bob_cannot_change_adas_saves_notes_or_ratings(readers):
    ada, bob, _ = readers
    bob.api("PUT", "/api/library/papers/2405.00001/note", json={"note": "bob was here"})
    bob.api("DELETE", "/api/library/papers/2405.00001")
    bob.api("DELETE", "/api/ratings")
    bob.api("POST", "/api/papers/2405.00002/rating", json={"rating": "more"})  # his own rating, not hers

    mine = {item["paper"]["id"]: (item["note"], item["rating"]) for item in ada.api("GET", "/api/library").json()}
    assert mine == {"2405.00001": (SECRET_NOTE, "more"), "2405.00002": (SECRET_NOTE, "less")}
    assert [p["paper"] for p in bob.api("GET", "/api/library/learned").json()["positives"]] == ["2405.00002"]


def test_the_library_answers_nobody_signed_out(readers, engine, tmp_path):
    ada, _, secret = readers
    anonymous = TestClient(ada.client.app)
    responses = [anonymous.get(url, follow_redirects=False) for url in (
        "/library", f"/library?collection={secret}", "/library.json", "/library/learned.json", "/api/library",
        f"/api/library?collection={secret}", "/api/library/collections", "/papers/2405.00001")]

    assert [r.status_code for r in responses] == [303, 303, 401, 401, 401, 401, 401, 200]
    assert not any(leaks(r) for r in responses)
    assert "save-toggle" not in responses[-1].text
