"""GET /api/for-you over the real app, store and index (SQLite and PostgreSQL): a reader's saves rank
their topic's papers first, each with the library papers and words that explain it; an empty library
is asked to start; one reader's token or session never reaches another's ranking, and another's
collection id is the 404 of an id that never was; bad periods and pages are clear 4xx errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from for_you_world import NEW_DAYS, build_world
from paperfeed.config import Settings
from paperfeed.db.papers import papers_by_ids
from paperfeed.search.maintenance import update_index
from web_client import build_app, visit

WEEK = NEW_DAYS[0].strftime("%G-W%V")


@pytest.fixture
def world(engine, tmp_path, models_dir, database_url):
    """(app, the topics' paper ids, key -> topic): the four-topic store, indexed with real embeddings."""
    ids = build_world(engine)
    update_index(Settings(_env_file=None, data_dir=tmp_path, models_dir=models_dir, database_url=database_url),
                 engine)
    with engine.connect() as conn:
        found = papers_by_ids(conn, [i for parts in ids.values() for i in parts["library"] + parts["new"]])
    topic_of = {found[i].key: topic for topic, parts in ids.items() for i in parts["library"] + parts["new"]}
    keys = {topic: {part: [found[i].key for i in parts[part]] for part in parts} for topic, parts in ids.items()}
    return build_app(engine, tmp_path, models_dir=models_dir), keys, topic_of


def script(app, email: str) -> TestClient:
    """A client holding nothing but a new reader's API token."""
    with visit(app) as visitor:
        visitor.sign_up(email)
        token = visitor.api("POST", "/account/tokens", data={"name": "for you"}).json()["created"]["token"]
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def save(client, keys, collection: int | None = None):
    for key in keys:
        body = {"paper": key, **({"collections": [collection]} if collection else {})}
        assert client.post("/api/library", json=body).status_code == 200


def test_saved_papers_rank_their_topic_first_with_reasons(world):
    app, keys, topic_of = world
    with script(app, "ada@example.org") as ada:
        save(ada, keys["diffusion"]["library"][:4])
        response = ada.get(f"/api/for-you?week={WEEK}&limit=10")
    body = response.json()

    assert response.status_code == 200 and response.headers["cache-control"] == "private"
    assert (body["state"], body["positives"], body["needed"]) == ("ready", 4, 0)
    assert (body["start"], body["end"]) == (NEW_DAYS[0].isoformat(), "2026-11-08")  # Monday to Sunday
    assert [topic_of[item["paper"]["key"]] for item in body["items"]] == ["diffusion"] * 10
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    top = body["items"][0]
    assert top["match"] in ("strong match", "weak match") and 0 <= top["percentile"] <= 1
    assert top["title"] == top["paper"]["title"] and top["paper"]["url"] == f"/papers/{top['paper']['key']}"
    assert 2 <= len(top["closest"]) <= 3
    assert {ref["id"] for ref in top["closest"]} <= set(keys["diffusion"]["library"][:4])
    assert all(ref["url"] == f"/papers/{ref['id']}" and ref["title"] for ref in top["closest"])
    assert top["sharedWords"] and all(isinstance(word, str) for word in top["sharedWords"])
    assert 'rel="next"' in response.headers["link"]  # 40 papers that week, 10 a page


def test_pages_follow_on_and_a_collection_ranks_its_own_topic(world):
    app, keys, topic_of = world
    with script(app, "ada@example.org") as ada:
        proteins = ada.post("/api/library/collections", json={"name": "Proteins"}).json()["id"]
        save(ada, keys["protein"]["library"][:3], proteins)
        save(ada, keys["economics"]["library"][:3])
        first = ada.get(f"/api/for-you?week={WEEK}&limit=5")
        following = ada.get(first.headers["link"].split(">")[0].lstrip("<"))
        collection = ada.get(f"/api/for-you?week={WEEK}&collection={proteins}&limit=8").json()

    firsts = [item["paper"]["key"] for item in first.json()["items"]]
    seconds = [item["paper"]["key"] for item in following.json()["items"]]
    assert len(firsts) == len(seconds) == 5 and not set(firsts) & set(seconds)
    assert {topic_of[key] for key in firsts} <= {"protein", "economics"}
    assert collection["collection"] == {"id": proteins, "name": "Proteins"}
    assert {topic_of[item["paper"]["key"]] for item in collection["items"]} == {"protein"}


def test_an_empty_library_is_asked_to_start_and_a_small_one_to_grow(world):
    app, keys, _ = world
    with script(app, "new@example.org") as reader:
        empty = reader.get(f"/api/for-you?week={WEEK}").json()
        save(reader, keys["galaxies"]["library"][:2])
        small = reader.get(f"/api/for-you?week={WEEK}").json()

    assert (empty["state"], empty["positives"], empty["needed"], empty["items"]) == ("start", 0, 3, [])
    assert (small["state"], small["positives"], small["needed"], small["items"]) == ("learning", 2, 1, [])


def test_one_reader_never_sees_anothers_ranking(world):
    app, keys, topic_of = world
    with script(app, "ada@example.org") as ada, script(app, "bob@example.org") as bob, visit(app) as carol:
        save(ada, keys["protein"]["library"][:4])
        secret = ada.post("/api/library/collections", json={"name": "Ada's proteins"}).json()["id"]
        save(ada, keys["protein"]["library"][:3], secret)
        save(bob, keys["economics"]["library"][:4])
        carol.sign_up("carol@example.org")
        adas = ada.get(f"/api/for-you?week={WEEK}&limit=5").json()
        bobs = bob.get(f"/api/for-you?week={WEEK}&limit=5").json()
        carols = carol.client.get(f"/api/for-you?week={WEEK}").json()  # a session, nothing saved
        guessed = bob.get(f"/api/for-you?week={WEEK}&collection={secret}")
        never = bob.get(f"/api/for-you?week={WEEK}&collection=99999")
        signed_out = TestClient(app).get(f"/api/for-you?week={WEEK}")

    assert {topic_of[item["paper"]["key"]] for item in adas["items"]} == {"protein"}
    assert {topic_of[item["paper"]["key"]] for item in bobs["items"]} == {"economics"}
    assert not {ref["id"] for item in bobs["items"] for ref in item["closest"]} & set(keys["protein"]["library"])
    assert (carols["state"], carols["items"]) == ("start", [])
    assert guessed.status_code == never.status_code == 404
    assert guessed.json()["error"]["message"].replace(str(secret), "N") == \
        never.json()["error"]["message"].replace("99999", "N")
    assert "proteins" not in guessed.text.lower()
    assert signed_out.status_code == 401 and "Sign in" in signed_out.json()["error"]["message"]


@pytest.mark.parametrize(("query", "status", "names"), [
    ("limit=0", 422, "limit"), ("limit=101", 422, "limit"), ("p=-1", 422, "p"), ("p=abc", 422, "p"),
    ("p=5&limit=20", 400, "p=5"),  # past the best 100 papers kept
    ("week=2026-W99", 400, "week"), ("date=2026-11-02&week=2026-W45", 400, "give one of"),
    ("collection=0", 422, "collection"),
])
def test_bad_pages_and_periods_are_clear_errors(engine, tmp_path, models_dir, query, status, names):
    app = build_app(engine, tmp_path, models_dir=models_dir)
    with script(app, "ada@example.org") as ada:
        response = ada.get(f"/api/for-you?{query}")
    assert response.status_code == status and names in response.json()["error"]["message"]


def test_reads_are_rate_limited_like_the_library(engine, tmp_path, models_dir):
    app = build_app(engine, tmp_path, models_dir=models_dir, rules={"library": {"account": "2/minute"}})
    with script(app, "ada@example.org") as ada:
        statuses = [ada.get("/api/for-you").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
