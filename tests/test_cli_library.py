"""`paperfeed library add|import|export|list`, driven in-process through `paperfeed.cli.run` on a real
SQLite file (settings from PAPERFEED_* variables; arXiv at a port nothing listens on, or a loopback
server replaying a recorded answer). Unknown emails, ids and collections are one line and exit code 1."""

from __future__ import annotations

import json

import pytest

from cli_runner import clean_environment, cli_invoker
from conftest import shared_path
from factories import store_paper
from paperfeed.cli import run
from paperfeed.db.engine import make_engine
from paperfeed.db.users import create_user
from replay_server import ReplayServer, Reply, closed_port_url

BIBTEX = """@article{one, title = {Paper number 1}, eprint = {2405.00001}, archivePrefix = {arXiv}}

@misc{two, title = {Paper number 2}, note = {arXiv:2405.00002}}

@article{broken,
  title = {A title with no end,
}

@misc{missing, title = {Nowhere}, eprint = {2501.99999}, archivePrefix = {arXiv}}
"""


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A migrated store with papers 1-3 and ada's account; arXiv unreachable."""
    clean_environment(monkeypatch, tmp_path, arxiv_api_url=f"{closed_port_url()}/api/query")
    assert run(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'paperfeed.db'}")
    for n in (1, 2, 3):
        store_paper(engine, n)
    with engine.begin() as conn:
        create_user(conn, "ada@example.org")
    yield engine
    engine.dispose()


@pytest.fixture
def paperfeed(store, capsys):
    return cli_invoker(capsys)


def listed(paperfeed, *options: str) -> list[dict]:
    result = paperfeed("library", "list", "ada@example.org", "--json", *options)
    assert result.code == 0, result.err
    return json.loads(result.out)


def test_add_saves_into_a_collection_and_list_shows_it(paperfeed):
    added = paperfeed("library", "add", "ADA@example.org", "arXiv:2405.00001v2", "2405.00002",
                      "--collection", "To read")
    again = paperfeed("library", "add", "ada@example.org", "2405.00002", "--json")
    text = paperfeed("library", "list", "ada@example.org")

    assert added.code == 0 and "2 saved into 'To read', 0 already in the library" in added.out
    assert again.code == 0 and json.loads(again.out)["already_saved"] == 1
    assert [(p["id"], p["collections"]) for p in listed(paperfeed)] == [
        ("2405.00002", ["To read"]), ("2405.00001", ["To read"])]
    assert [p["id"] for p in listed(paperfeed, "--collection", "to READ")] == ["2405.00002", "2405.00001"]
    assert "2405.00002 Paper number 2 [To read]" in text.out


def test_unknown_emails_ids_and_collections_are_one_line_errors(paperfeed):
    nobody = paperfeed("library", "add", "nobody@example.org", "2405.00001")
    missing = paperfeed("library", "add", "ada@example.org", "2405.00003", "2501.99999")
    no_collection = paperfeed("library", "list", "ada@example.org", "--collection", "Nope")
    bad_format = paperfeed("library", "export", "ada@example.org", "--format", "endnote")

    assert (nobody.code, nobody.err_lines) == (1, ["error: no account with email 'nobody@example.org'"])
    assert missing.code == 1
    assert missing.err_lines[-1] == "error: not found in the store or on arXiv: arXiv:2501.99999"
    assert "arXiv could not be reached" in missing.out  # why it was not fetched
    assert "not found: arXiv:2501.99999" in missing.out
    assert [p["id"] for p in listed(paperfeed)] == ["2405.00003"]  # the id that was found is saved
    assert (no_collection.code, no_collection.err_lines) == (1, ["error: you have no collection named 'Nope'"])
    assert bad_format.code == 1 and "unknown citation format 'endnote'" in bad_format.err
    assert "Traceback" not in nobody.err + missing.err + no_collection.err + bad_format.err


def test_import_reports_bad_entries_and_papers_found_nowhere_and_keeps_the_rest(paperfeed, tmp_path):
    path = tmp_path / "zotero.bib"
    path.write_text(BIBTEX)

    result = paperfeed("library", "import", "ada@example.org", path, "--collection", "Thesis", "--json")

    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert (report["collection"], report["saved"], report["already_saved"]) == ("Thesis", 2, 0)
    assert report["not_found"] == ["arXiv:2501.99999 (line 9)"]
    assert [p["line"] for p in report["problems"]] == [5]
    assert report["unfetched"].startswith("arXiv could not be reached")
    assert [p["id"] for p in listed(paperfeed, "--collection", "Thesis")] == ["2405.00002", "2405.00001"]


def test_import_refuses_a_file_over_5_mb_before_reading_it(paperfeed, tmp_path):
    path = tmp_path / "huge.bib"
    path.write_bytes(b"%" * (5 * 1024 * 1024 + 1))
    result = paperfeed("library", "import", "ada@example.org", path)
    assert result.code == 1 and "limited to 5 MB" in result.err and listed(paperfeed) == []


@pytest.mark.parametrize(("format", "marker"), [("bibtex", "@"), ("ris", "TY  - "), ("csl-json", "[")])
def test_export_writes_the_library_or_a_collection(paperfeed, tmp_path, format, marker):
    paperfeed("library", "add", "ada@example.org", "2405.00001", "--collection", "Thesis")
    paperfeed("library", "add", "ada@example.org", "2405.00002")

    whole = paperfeed("library", "export", "ada@example.org", "--format", format)
    thesis = tmp_path / f"thesis.{format}"
    written = paperfeed("library", "export", "ada@example.org", "--collection", "Thesis", "-f", format, "-o", thesis)

    assert whole.code == 0 and whole.out.lstrip().startswith(marker)
    assert "Paper number 1" in whole.out and "Paper number 2" in whole.out
    assert written.code == 0 and written.out == ""
    assert "Paper number 1" in thesis.read_text() and "Paper number 2" not in thesis.read_text()


def test_add_fetches_a_paper_the_store_lacks_from_arxiv(paperfeed, monkeypatch):
    (path,) = shared_path("fixtures", "arxiv_api").glob("id_1605.08386_s0_m100_*.json")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    routes = {"/api/query?id_list=1605.08386": Reply(recorded["status_code"], recorded["body"],
                                                     {"Content-Type": "application/atom+xml"})}
    with ReplayServer(routes) as arxiv:
        monkeypatch.setenv("PAPERFEED_ARXIV_API_URL", f"{arxiv.url}/api/query")
        added = paperfeed("library", "add", "ada@example.org", "1605.08386")

    assert added.code == 0 and "1 saved, 0 already in the library, 1 fetched from arXiv" in added.out
    assert [p["id"] for p in listed(paperfeed)] == ["1605.08386"]
