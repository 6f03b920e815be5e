"""Private "For you" feeds through the real app (SQLite and PostgreSQL), read back with a real XML
parser by a client holding nothing but the address: the reader's ranking with its reasons, gone when
revoked or when its collection is deleted; another reader can neither list nor revoke it; guessed,
revoked and malformed tokens are one and the same 404; titles and names holding HTML are escaped."""

from __future__ import annotations

import secrets

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from factories import make_record
from for_you_world import NEW_DAYS, TOPICS, build_world
from paperfeed.config import Settings
from paperfeed.db.papers import papers_by_ids, upsert_papers
from paperfeed.normalize import normalize_record
from paperfeed.search.maintenance import update_index
from web_client import build_app, visit

SITE = "http://127.0.0.1:8000"  # Settings' default base_url: where the addresses point
ATOM = {"atom": "http://www.w3.org/2005/Atom"}
HOSTILE_TITLE = 'Fast samplers for diffusion <script>alert("feed")</script> & <b>friends</b>'
HOSTILE_NAME = "<img src=x onerror=alert(1)> diffusion"


@pytest.fixture
def world(engine, tmp_path, models_dir, database_url):
    """(app, key -> topic, the diffusion library's keys): the four-topic store, plus a diffusion paper of
    the week whose title holds HTML, indexed with real embeddings."""
    ids = build_world(engine)
    abstract = " ".join(sentence.capitalize() + "." for sentence in TOPICS["diffusion"][2][:3])
    record = make_record(arxiv_id="2611.09999", title=HOSTILE_TITLE, abstract=abstract, categories=("cs.CV",),
                         announced_on=NEW_DAYS[-1], published_on=NEW_DAYS[-1])
    with engine.begin() as conn:
        upsert_papers(conn, [normalize_record(record)])
    update_index(Settings(_env_file=None, data_dir=tmp_path, models_dir=models_dir, database_url=database_url),
                 engine)
    with engine.connect() as conn:
        found = papers_by_ids(conn, [i for parts in ids.values() for i in parts["library"] + parts["new"]])
    topic_of = {found[i].key: topic for topic, parts in ids.items() for i in parts["library"] + parts["new"]}
    topic_of["2611.09999"] = "diffusion"
    library = [found[i].key for i in ids["diffusion"]["library"][:4]]
    return build_app(engine, tmp_path, models_dir=models_dir), topic_of, library


@pytest.fixture
def app(engine, tmp_path, models_dir):
    """A store with nothing to rank: feeds that exist, but hold no papers yet."""
    return build_app(engine, tmp_path, models_dir=models_dir)


def make_feed(visitor, collection: int | None = None) -> dict:
    response = visitor.api("POST", "/for-you/feeds", data={"collection": collection or ""})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["created"]


def path(url: str) -> str:
    return url.removeprefix(SITE)


def feed_reader(app) -> TestClient:
    """A feed reader: no cookie, no token, only the address."""
    return TestClient(app)


def rss(response) -> etree._Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert "set-cookie" not in response.headers and response.headers["cache-control"] == "private"
    return etree.fromstring(response.content)


def test_a_feed_holds_the_readers_ranking_with_reasons_until_revoked(world):
    app, topic_of, library = world
    with visit(app) as ada:
        ada.sign_up("ada@example.org")
        for key in library:
            ada.api("POST", "/api/library", json={"paper": key})
        created = make_feed(ada)
        ranking = ada.api("GET", f"/api/for-you?week={NEW_DAYS[0]:%G-W%V}&limit=50").json()
        reader = feed_reader(app)
        channel = rss(reader.get(path(created["rss"]))).find("channel")
        atom = reader.get(path(created["atom"]))

        items = channel.findall("item")
        assert channel.findtext("title") == "For you"
        assert [item.findtext("link") for item in items] == \
            [SITE + entry["paper"]["url"] for entry in ranking["items"]]  # the API's ranking of the week
        keys = [item.findtext("link").rsplit("/", 1)[1] for item in items]
        assert [topic_of[key] for key in keys[:10]] == ["diffusion"] * 10
        top = items[0].findtext("description")
        closest = ranking["items"][0]["closest"]
        assert ("Strong match" in top or "Weak match" in top) and "Close to" in top and "Shared words" in top
        assert closest[0]["title"] in top
        assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
        entries = etree.fromstring(atom.content).findall("atom:entry", ATOM)
        assert [e.find("atom:link", ATOM).get("href") for e in entries] == [i.findtext("link") for i in items]
        assert "Close to" in entries[0].findtext("atom:summary", namespaces=ATOM)

        revoked = ada.post_form(f"/for-you/feeds/{created['id']}/revoke")
        gone = reader.get(path(created["rss"]))
        never = reader.get(path(created["rss"]).replace(created["rss"].rsplit("/", 1)[1].split(".")[0],
                                                         secrets.token_urlsafe(32)))
        listed = ada.client.get("/for-you/feeds.json").json()

    assert revoked.status_code == 303 and revoked.headers["location"] == "/for-you/feeds"
    assert gone.status_code == never.status_code == 404
    assert gone.content == never.content and gone.json()["error"]["message"] == "no such feed"
    assert reader.get(path(created["atom"])).status_code == 404
    assert listed == {"feeds": []}


def test_titles_and_collection_names_holding_html_are_escaped(world):
    app, _, library = world
    with visit(app) as ada:
        ada.sign_up("ada@example.org")
        collection = ada.api("POST", "/api/library/collections", json={"name": HOSTILE_NAME}).json()["id"]
        for key in [*library, "2611.09999"]:  # the hostile paper is ranked, and named among the closest
            ada.api("POST", "/api/library", json={"paper": key, "collections": [collection]})
        created = make_feed(ada, collection)
        page = ada.client.get("/for-you/feeds").text
        response = feed_reader(app).get(path(created["rss"]))
        atom = feed_reader(app).get(path(created["atom"]))

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt; diffusion" in page
    channel = rss(response).find("channel")
    assert channel.findtext("title") == f"For you · {HOSTILE_NAME}"  # text in XML, never markup
    items = channel.findall("item")
    assert [item.findtext("title") for item in items].count(HOSTILE_TITLE) == 1
    descriptions = [item.findtext("description") for item in items]  # HTML that feed readers render
    assert not any("<script" in text or "<b>" in text for text in descriptions)
    assert any("“Fast samplers for diffusion &lt;script&gt;alert(&quot;feed&quot;)&lt;/script&gt; &amp; "
               "&lt;b&gt;friends&lt;/b&gt;”" in text for text in descriptions)
    assert b"<script" not in response.content and b"<script" not in atom.content
    titles = [e.findtext("atom:title", namespaces=ATOM) for e in etree.fromstring(atom.content).iterfind(
        "atom:entry", ATOM)]
    assert HOSTILE_TITLE in titles


def test_another_reader_can_neither_list_nor_revoke_a_feed(app):
    with visit(app) as ada, visit(app) as bob:
        ada.sign_up("ada@example.org")
        bob.sign_up("bob@example.org")
        adas = make_feed(ada)
        bobs = make_feed(bob)
        listed = bob.client.get("/for-you/feeds.json").json()
        page = bob.client.get("/for-you/feeds").text
        by_form = bob.post_form(f"/for-you/feeds/{adas['id']}/revoke")
        by_delete = bob.api("DELETE", f"/for-you/feeds/{adas['id']}")
        never = bob.api("DELETE", "/for-you/feeds/99999")
        still = feed_reader(app).get(path(adas["rss"]))
        own = bob.api("DELETE", f"/for-you/feeds/{bobs['id']}")

    assert [feed["id"] for feed in listed["feeds"]] == [bobs["id"]]
    assert f"/for-you/feeds/{adas['id']}/revoke" not in page
    assert by_form.status_code == by_delete.status_code == never.status_code == 404
    assert by_delete.json()["error"]["message"].replace(str(adas["id"]), "N") == \
        never.json()["error"]["message"].replace("99999", "N")
    assert still.status_code == 200 and own.json() == {"revoked": bobs["id"]}


@pytest.mark.parametrize("guess", ["random", "x", "a" * 43, "a" * 199, "..", "api-token-shaped"])
def test_guessed_tokens_are_the_404_of_a_revoked_one(app, guess):
    token = {"random": secrets.token_urlsafe(32), "api-token-shaped": "pf_" + secrets.token_urlsafe(32)}.get(
        guess, guess)
    with visit(app) as ada:
        ada.sign_up("ada@example.org")
        created = make_feed(ada)
        revoked_token = created["rss"].rsplit("/", 1)[1].removesuffix(".rss")
        ada.api("DELETE", f"/for-you/feeds/{created['id']}")
        reader = feed_reader(app)
        revoked = reader.get(f"/feeds/for-you/{revoked_token}.rss")
        guessed = reader.get(f"/feeds/for-you/{token}.rss")

    assert revoked.status_code == guessed.status_code == 404
    assert guessed.content == revoked.content
    assert {**guessed.headers, "x-request-id": ""} == {**revoked.headers, "x-request-id": ""}


def test_a_deleted_collections_feed_is_gone(app, engine):
    with visit(app) as ada:
        ada.sign_up("ada@example.org")
        collection = ada.api("POST", "/api/library/collections", json={"name": "Reading"}).json()["id"]
        library_feed, collection_feed = make_feed(ada), make_feed(ada, collection)
        before = feed_reader(app).get(path(collection_feed["rss"]))
        ada.api("DELETE", f"/api/library/collections/{collection}")
        after = feed_reader(app).get(path(collection_feed["rss"]))
        listed = ada.client.get("/for-you/feeds.json").json()

    assert rss(before).find("channel").findtext("title") == "For you · Reading"
    assert after.status_code == 404
    assert [feed["id"] for feed in listed["feeds"]] == [library_feed["id"]]
    assert feed_reader(app).get(path(library_feed["rss"])).status_code == 200


def test_only_a_signed_in_reader_makes_feeds_of_their_own_collections(app):
    with visit(app) as ada, visit(app) as bob:
        ada.sign_up("ada@example.org")
        bob.sign_up("bob@example.org")
        secret = ada.api("POST", "/api/library/collections", json={"name": "Secret"}).json()["id"]
        token = ada.api("POST", "/account/tokens", data={"name": "script"}).json()["created"]["token"]
        others = bob.api("POST", "/for-you/feeds", data={"collection": str(secret)})
        signed_out = TestClient(app).get("/for-you/feeds", follow_redirects=False)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as script:
            by_token = script.post("/for-you/feeds", data={"collection": ""}, headers={"Accept": "application/json"})
        no_csrf = ada.client.post("/for-you/feeds", data={"collection": ""}, follow_redirects=False)

    assert others.status_code == 404 and "Secret" not in others.text
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=%2Ffor-you")
    assert by_token.status_code == 403 and "signed-in reader" in by_token.json()["error"]["message"]
    assert no_csrf.status_code == 403
