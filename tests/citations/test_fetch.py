"""The papers an import names: found in the store (by arXiv id, DOI or title), the missing ones fetched from
the arXiv API in id_list batches (a real loopback server replaying recorded export.arxiv.org responses) and
stored, the rest listed as not found: when arXiv is unreachable nothing already found is lost."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from conftest import shared_path
from factories import store_paper
from paperfeed.citation_fetch import fetch_missing, stored_papers
from paperfeed.citations import CitedWork
from paperfeed.config import Settings
from paperfeed.db.schema import papers
from replay_server import ReplayServer, Reply, closed_port_url

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def recorded_api(prefix: str, status: int | None = None) -> Reply:
    """The recorded export.arxiv.org response named '<prefix>_<hash>.json', served as recorded."""
    (path,) = shared_path("fixtures", "arxiv_api").glob(f"{prefix}_*.json")
    response = json.loads(path.read_text(encoding="utf-8"))
    return Reply(status or response["status_code"], response["body"], ATOM)


def work(arxiv_id=None, doi=None, title=None, authors=(), line=1) -> CitedWork:
    return CitedWork(arxiv_id, doi, title, tuple(authors), None, line)


def settings_for(api_url: str, tmp_path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, arxiv_api_url=api_url, arxiv_delay_s=0, http_retries=0)


@pytest.fixture
def arxiv():
    routes = {
        # arXiv knows 1707.08567 but not 0808.05394 (a 2008 id has four digits after the dot): one of two back.
        "/api/query?id_list=0808.05394,1707.08567": recorded_api("id_0808.05394_1707.08567_s0_m100"),
        "/api/query?id_list=1605.08386": recorded_api("id_1605.08386_s0_m100"),
        # arXiv's answer to a malformed id: an error feed with HTTP 400.
        "/api/query?id_list=2401.99999": recorded_api("id_abc_s0_m100", status=400),
    }
    with ReplayServer(routes) as server:
        yield server


def stored_rows(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(papers.c.arxiv_id, papers.c.title, papers.c.sources))
        return {row.arxiv_id: (row.title, row.sources) for row in rows}


def test_missing_papers_are_fetched_in_batches_stored_and_the_unknown_listed(engine, tmp_path, arxiv):
    known = store_paper(engine, arxiv_id="1706.03762")
    works = [work("1706.03762", line=2), work("0808.05394", line=3), work("1707.08567", line=4),
             work("1605.08386", line=5), work(None, "10.1000/not-stored", "A journal paper", line=6),
             work("1707.08567", line=7)]  # the same paper twice: fetched once

    result = fetch_missing(engine, settings_for(f"{arxiv.url}/api/query", tmp_path), works, batch_size=2)

    assert [request.query["id_list"] for request in arxiv.requests] == ["0808.05394,1707.08567", "1605.08386"]
    assert [request.query["max_results"] for request in arxiv.requests] == ["2", "1"]
    assert result.fetched == ["1707.08567", "1605.08386"]
    assert [w.line for w in result.not_found] == [3, 6]
    assert result.unfetched_reason is None
    rows = stored_rows(engine)
    assert rows["1605.08386"] == ("Heat-bath random walks with Markov bases", ["arxiv-api"])
    assert rows["1707.08567"][0].startswith("Proceedings of Workshop AEW10")
    with engine.connect() as conn:
        ids = dict(conn.execute(sa.select(papers.c.arxiv_id, papers.c.id)).all())
    assert result.stored_ids == [known, ids["1707.08567"], ids["1605.08386"]]


def test_a_second_import_of_the_same_file_asks_arxiv_nothing(engine, tmp_path, arxiv):
    settings = settings_for(f"{arxiv.url}/api/query", tmp_path)
    works = [work("1605.08386")]
    first = fetch_missing(engine, settings, works)

    again = fetch_missing(engine, settings, works)

    assert len(arxiv.requests) == 1
    assert (again.stored_ids, again.fetched, again.not_found) == (first.stored_ids, [], [])


def test_when_arxiv_is_unreachable_the_missing_are_not_found_and_the_stored_are_kept(engine, tmp_path):
    known = store_paper(engine, arxiv_id="1706.03762")
    works = [work("1706.03762"), work("1605.08386", line=9)]

    result = fetch_missing(engine, settings_for(f"{closed_port_url()}/api/query", tmp_path), works)

    assert result.stored_ids == [known]
    assert [w.line for w in result.not_found] == [9]
    assert result.fetched == []
    assert result.unfetched_reason.startswith("arXiv could not be reached: GET http://127.0.0.1:")
    assert set(stored_rows(engine)) == {"1706.03762"}


def test_a_batch_arxiv_refuses_is_skipped_and_the_next_still_fetched(engine, tmp_path, arxiv):
    works = [work("2401.99999", line=1), work("1605.08386", line=2)]

    result = fetch_missing(engine, settings_for(f"{arxiv.url}/api/query", tmp_path), works, batch_size=1)

    assert result.fetched == ["1605.08386"]
    assert [w.line for w in result.not_found] == [1]
    assert result.unfetched_reason is None


def test_ids_over_the_cap_are_not_asked_for_and_the_reason_says_so(engine, tmp_path, arxiv):
    works = [work("1605.08386"), work("0808.05394"), work("1707.08567")]

    result = fetch_missing(engine, settings_for(f"{arxiv.url}/api/query", tmp_path), works, max_fetched=1)

    assert [request.query["id_list"] for request in arxiv.requests] == ["1605.08386"]
    assert result.fetched == ["1605.08386"]
    assert [w.arxiv_id for w in result.not_found] == ["0808.05394", "1707.08567"]
    assert result.unfetched_reason == "only 1 papers are fetched from arXiv per import; 2 were not"


def test_stored_papers_match_by_arxiv_id_doi_then_title_when_nothing_contradicts(engine):
    arxiv_paper = store_paper(engine, arxiv_id="1706.03762", authors=("Ashish Vaswani", "Noam Shazeer"))
    journal = store_paper(engine, arxiv_id=None, doi="10.1038/s41586-021-03819-2", authors=("John Jumper",),
                          title="Highly accurate protein structure prediction with AlphaFold")
    works = [
        work("1706.03762"),  # by arXiv id
        work(None, "10.1038/s41586-021-03819-2"),  # by DOI
        work(None, "10.5555/neurips.2017", "Attention is all you need!", ("Ashish Vaswani",)),  # by title
        work(None, None, "ATTENTION IS ALL YOU NEED", ("A. Vaswani",)),  # title, the family name agrees
        work(None, None, "Attention Is All You Need", ("Jane Doe",)),  # a namesake by someone else
        work("2401.00001", None, "Attention Is All You Need"),  # another arXiv paper of that title
        work(None, None, "A title nobody stored"),
    ]

    with engine.connect() as conn:
        found = stored_papers(conn, works)

    assert [paper.id if paper else None for paper in found] == [
        arxiv_paper, journal, arxiv_paper, arxiv_paper, None, None, None]
