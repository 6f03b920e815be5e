"""Import into and export from the library through the real app: a BibTeX file by the /library form and
by the API (bad entries reported with their line, the rest kept, papers arXiv cannot give listed as not
found), a file over 5 MB refused before it is read in, papers fetched from a loopback arXiv replaying a
recorded answer, and exports in the three formats that import again into another reader's library."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from conftest import shared_path
from factories import store_paper
from paperfeed.citations import MAX_IMPORT_BYTES
from paperfeed.db.schema import saved_papers
from replay_server import ReplayServer, Reply, closed_port_url
from web_client import build_app, sqlite_engine, visit

BIBTEX = b"""@article{one,
  title = {Paper number 1},
  author = {Vaswani, Ashish},
  eprint = {2405.00001},
  archivePrefix = {arXiv},
  year = {2024},
}

@misc{two,
  title = {Paper number 2},
  note = {arXiv:2405.00002},
}

@article{broken,
  title = {A title with no end,
  year = 2020
}

@misc{missing,
  title = {Not in the store},
  eprint = {2501.99999},
  archivePrefix = {arXiv},
}
"""


@pytest.fixture
def site(tmp_path):
    """(engine, app): papers 1-3 stored; arXiv at a port nothing listens on."""
    with sqlite_engine(tmp_path) as engine:
        for n in (1, 2, 3):
            store_paper(engine, n, authors=("Ashish Vaswani", "Noam Shazeer"))
        yield engine, build_app(engine, tmp_path, arxiv_api_url=f"{closed_port_url()}/api/query")


@pytest.fixture
def ada(site):
    with visit(site[1]) as visitor:
        visitor.sign_up("ada@example.org")
        yield visitor


def upload(visitor, url: str, content: bytes, name: str = "library.bib", **fields):
    return visitor.client.post(url, files={"file": (name, content, "application/octet-stream")},
                               data={"csrf_token": visitor.token(), **fields}, follow_redirects=False,
                               headers={"Accept": "application/json"} if url.startswith("/api/") else {})


def saved_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(saved_papers)).scalar_one()


def test_the_import_form_saves_what_it_finds_and_says_what_it_could_not(site, ada):
    engine, _ = site
    page = upload(ada, "/library/import", BIBTEX, new_collection="From Zotero")

    assert page.status_code == 200
    report = page.text.split('class="import-report"', 1)[1].split("</section>", 1)[0]
    assert "Import into “From Zotero”" in report
    assert "2 papers saved, 0 already in your library" in report
    assert "arXiv:2501.99999 (line 19)" in report
    assert "line 14: unparsable BibTeX" in report
    assert 'aria-current="page">From Zotero' in page.text  # the page shows the collection imported into
    listed = ada.client.get("/library.json").json()
    assert [i["paper"]["id"] for i in listed["items"]] == ["2405.00002", "2405.00001"]
    assert [c["name"] for c in listed["items"][0]["collections"]] == ["From Zotero"]


def test_the_api_imports_into_a_collection_and_counts_what_was_saved_already(site, ada):
    collection = ada.api("POST", "/api/library/collections", json={"name": "Reading"}).json()["id"]
    ada.api("POST", "/api/library", json={"paper": "2405.00001"})

    first = upload(ada, "/api/library/import", BIBTEX, collection=str(collection))
    again = upload(ada, "/api/library/import", b"2405.00003\n", name="ids.txt", collection=str(collection))

    body = first.json()
    assert first.status_code == 200
    assert (body["collection"], body["saved"], body["alreadySaved"], body["fetched"]) == (
        {"id": collection, "name": "Reading"}, 1, 1, 0)
    assert body["notFound"] == ["arXiv:2501.99999 (line 19)"]
    assert [(p["line"], p["message"].split(":")[0]) for p in body["problems"]] == [(14, "unparsable BibTeX")]
    assert body["unfetched"].startswith("arXiv could not be reached")
    assert (again.json()["saved"], again.json()["problems"]) == (1, [])
    in_reading = ada.client.get(f"/api/library?collection={collection}").json()
    assert [i["paper"]["id"] for i in in_reading] == ["2405.00003", "2405.00002", "2405.00001"]


def test_a_file_over_5_mb_is_refused_with_the_limit_named(site, ada):
    engine, _ = site
    oversized = upload(ada, "/api/library/import", b"%" * (MAX_IMPORT_BYTES + 100 * 1024))
    by_form = upload(ada, "/library/import", b"%" * (MAX_IMPORT_BYTES + 100 * 1024))
    just_over = upload(ada, "/api/library/import", b"%" * (MAX_IMPORT_BYTES + 1))  # fits the body's allowance

    assert oversized.status_code == 413 and "limited to 5 MB" in oversized.json()["error"]["message"]
    assert by_form.status_code == 413 and "limited to 5 MB" in by_form.text
    assert just_over.status_code == 400 and "limited to 5 MB" in just_over.json()["error"]["message"]
    assert saved_count(engine) == 0


def test_another_readers_collection_is_refused_before_anything_is_saved(site, ada):
    engine, app = site
    with visit(app) as bob:
        bob.sign_up("bob@example.org")
        bobs = bob.api("POST", "/api/library/collections", json={"name": "Bob's"}).json()["id"]

    refused = upload(ada, "/api/library/import", BIBTEX, collection=str(bobs))
    assert refused.status_code == 404 and refused.json()["error"]["message"] == f"you have no collection with id {bobs}"
    assert saved_count(engine) == 0


def test_papers_missing_from_the_store_are_fetched_from_arxiv(tmp_path):
    (path,) = shared_path("fixtures", "arxiv_api").glob("id_1605.08386_s0_m100_*.json")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    routes = {"/api/query?id_list=1605.08386": Reply(recorded["status_code"], recorded["body"],
                                                     {"Content-Type": "application/atom+xml; charset=utf-8"})}
    with sqlite_engine(tmp_path) as engine, ReplayServer(routes) as arxiv:
        app = build_app(engine, tmp_path, arxiv_api_url=f"{arxiv.url}/api/query")
        with visit(app) as ada:
            ada.sign_up()
            report = upload(ada, "/api/library/import", b"arXiv:1605.08386v1\n", name="ids.txt").json()
            listed = ada.client.get("/api/library").json()

    assert (report["saved"], report["fetched"], report["notFound"]) == (1, 1, [])
    assert [i["paper"]["id"] for i in listed] == ["1605.08386"]
    assert arxiv.requests[0].query["id_list"] == "1605.08386"


@pytest.mark.parametrize(("format", "media_type", "extension"), [
    ("bibtex", "application/x-bibtex", "bib"), ("ris", "application/x-research-info-systems", "ris"),
    ("csl-json", "application/json", "json"),
])
def test_an_export_imports_again_into_another_library(site, ada, format, media_type, extension):
    _, app = site
    reading = ada.api("POST", "/api/library/collections", json={"name": "Reading"}).json()["id"]
    for paper, into in (("2405.00001", [reading]), ("2405.00002", []), ("2405.00003", [reading])):
        ada.api("POST", "/api/library", json={"paper": paper, "collections": into})

    whole = ada.client.get(f"/api/library/export?format={format}")
    collection = ada.client.get(f"/api/library/export?format={format}&collection={reading}")

    assert whole.status_code == 200 and whole.headers["content-type"].startswith(media_type)
    assert whole.headers["content-disposition"] == f'attachment; filename="paperfeed-library.{extension}"'
    assert collection.headers["content-disposition"].endswith(f'collection-{reading}.{extension}"')
    assert whole.text.count("Paper number") == 3 and collection.text.count("Paper number") == 2
    assert "Paper number 2" not in collection.text
    with visit(app) as bob:
        bob.sign_up("bob@example.org")
        report = upload(bob, "/api/library/import", collection.content, name=f"export.{extension}").json()
        assert (report["saved"], report["notFound"], report["problems"]) == (2, [], [])
        assert sorted(i["paper"]["id"] for i in bob.client.get("/api/library").json()) == ["2405.00001", "2405.00003"]


def test_export_needs_a_reader_and_a_known_format(site, ada):
    _, app = site
    assert ada.client.get("/api/library/export?format=endnote").status_code == 422
    with visit(app) as anonymous:
        assert anonymous.client.get("/api/library/export").status_code == 401
