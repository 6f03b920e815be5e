"""Ingest: local files in batches with checkpoints (bad records skipped, reruns change nothing, a
killed or interrupted run resumes after its last committed batch), and the network harvests against
a real loopback server replaying recorded responses (OAI-PMH paging and resumption, HF listings,
arXiv API lookups and error feeds, stopping when a page brings nothing new)."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from conftest import TEST_DATA, shared_path
from paperfeed import harvests
from paperfeed.cli import run
from paperfeed.config import Settings
from paperfeed.db.checkpoints import list_checkpoints
from paperfeed.db.schema import listings, paper_categories, papers
from paperfeed.errors import SourceError
from paperfeed.http import HttpClient
from paperfeed.ingest import BatchWriter, ingest_file
from paperfeed.sources import arxiv_api
from replay_server import ReplayServer, Reply

FILES = TEST_DATA / "files"
HF_DAY = TEST_DATA / "hf_daily" / "day_2024-10-23.json"
OAI_TOKEN = "6960524|1001"  # shaped like arXiv's tokens; "|" must survive URL encoding
XML = {"Content-Type": "text/xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}


# --- helpers -------------------------------------------------------------------------------------


# Long enough that the run is still going when the test interrupts it, on any machine.
LONG_RUN = 20_000


def store_rows(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row, every column, of the tables an ingest writes."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            )]
            for table in (papers, paper_categories, listings)
        }


def stored(engine: sa.Engine, column: sa.Column) -> list:
    """One column of every stored paper, sorted (a paper stored twice shows up twice)."""
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(column)).scalars())


def checkpoints(engine: sa.Engine) -> dict[str, dict]:
    with engine.connect() as conn:
        return {name: state for name, state, _ in list_checkpoints(conn)}


def generated_rows(count: int) -> list[dict]:
    return [
        {
            "id": f"2401.{n:05d}",
            "title": f"Resumable ingest study number {n}",
            "abstract": f"The abstract of generated paper {n}, long enough to look like one.",
            "authors": [f"Author Number{n}", "Second Author"],
            "categories": ["cs.DB", "cs.LG"],
            "published": "2024-01-15",
        }
        for n in range(1, count + 1)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def settings_for(server: ReplayServer) -> Settings:
    return Settings(
        _env_file=None,
        arxiv_oai_url=f"{server.url}/oai",
        arxiv_api_url=f"{server.url}/api/query",
        hf_api_url=f"{server.url}/api/daily_papers",
    )


def client() -> HttpClient:
    """The real client, without retries or pacing: a failure fails at once."""
    return HttpClient("paperfeed-tests", timeout_s=10, retries=0)


def oai_pages(split: int, last_token: str = "empty") -> tuple[bytes, bytes, list[str]]:
    """arXiv's recorded 46-record ListRecords response (set cs) cut into two pages the way arXiv
    pages: the first ends with a resumptionToken; the last with an empty one (or, with
    last_token="none", none at all). Also returns the arXiv ids of all the records, in order."""
    text = shared_path("fixtures", "arxiv_oai_pmh", "sample_arxiv_response_listrecords_cs.xml")
    head, rest = text.read_text(encoding="utf-8").split("<ListRecords>", 1)
    body, tail = rest.split("</ListRecords>", 1)
    records = re.findall(r"<record>.*?</record>", body, flags=re.S)
    ids = [re.search(r"<id>(.*?)</id>", record).group(1) for record in records]
    total = len(records)

    def page(part: list[str], token: str) -> bytes:
        return f"{head}<ListRecords>\n{''.join(part)}\n{token}\n</ListRecords>{tail}".encode()

    first = page(records[:split], f'<resumptionToken cursor="0" completeListSize="{total}">'
                                  f"{OAI_TOKEN}</resumptionToken>")
    end = f'<resumptionToken cursor="{split}" completeListSize="{total}"/>'
    if last_token == "none":
        end = ""
    return first, page(records[split:], end), ids


def oai_routes(first: bytes, second: Reply) -> dict[str, Reply]:
    return {
        "/oai?metadataPrefix=arXiv": Reply(200, first, XML),
        f"/oai?resumptionToken={OAI_TOKEN}": second,
    }


def recorded_api(prefix: str) -> Reply:
    """The recorded export.arxiv.org response named '<prefix>_<hash>.json', served as recorded."""
    (path,) = shared_path("fixtures", "arxiv_api").glob(f"{prefix}_*.json")
    response = json.loads(path.read_text(encoding="utf-8"))
    return Reply(response["status_code"], response["body"], ATOM)


def feed_ids(reply: Reply) -> list[str]:
    return re.findall(r"<id>http://arxiv.org/abs/(\S+?)v\d+</id>", reply.body_bytes.decode())


def hf_listings(engine: sa.Engine) -> dict[str, tuple]:
    """arXiv id -> (day, source, submitted_by, upvotes) of every listing."""
    query = sa.select(
        papers.c.arxiv_id, listings.c.day, listings.c.source, listings.c.submitted_by,
        listings.c.upvotes,
    ).join(papers, papers.c.id == listings.c.paper_id)
    with engine.connect() as conn:
        return {arxiv_id: tuple(rest) for arxiv_id, *rest in conn.execute(query)}


# --- local files: bad records, reruns ------------------------------------------------------------


def test_bad_records_are_logged_and_skipped_and_the_good_ones_of_their_batch_kept(engine, caplog):
    caplog.set_level(logging.WARNING, logger="paperfeed.ingest")
    batches = []

    summary, resumed_at = ingest_file(
        engine, FILES / "papers.jsonl", batch_size=3,
        on_batch=lambda s: batches.append((s.seen, s.added, s.skipped_total)),
    )

    assert resumed_at == 0
    assert stored(engine, papers.c.title) == [
        "Highly accurate protein structure prediction with AlphaFold",
        "LoRA: Low-Rank Adaptation of Large Language Models",
        "The entropy formula for the Ricci flow and its geometric applications",
        "Tree of Thoughts: Deliberate Problem Solving with Large Language Models",
    ]
    # The first batch's three good records straddle four bad ones; all three were written.
    assert batches == [(7, 3, 4), (9, 4, 5)]
    assert (summary.seen, summary.added, summary.updated) == (9, 4, 0)
    skipped = dict(summary.skipped)
    (invalid_json,) = [reason for reason in skipped if reason.startswith("invalid JSON:")]
    assert skipped.pop(invalid_json) == 1
    assert skipped == {
        "missing title": 1,
        "bad date in published: '2021-13-45'": 1,
        "not a JSON object but list": 1,
        "id is neither an arXiv id nor a DOI: 'not-a-paper-id'": 1,
    }
    logged = [r.getMessage() for r in caplog.records if r.name == "paperfeed.ingest"
              and r.levelno == logging.WARNING]
    assert logged == [
        f"skipped line 4: {invalid_json}",
        "skipped line 5: missing title",
        "skipped line 6: bad date in published: '2021-13-45'",
        "skipped line 7: not a JSON object but list",
        "skipped line 9: id is neither an arXiv id nor a DOI: 'not-a-paper-id'",
    ]


def test_a_record_rejected_while_normalizing_does_not_cost_its_batch(engine, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="paperfeed.ingest")
    rows = generated_rows(5)
    rows[2]["title"] = "An overlong title " * 60  # reads fine; the normalize step refuses it
    path = write_jsonl(tmp_path / "batch.jsonl", rows)

    summary, _ = ingest_file(engine, path, batch_size=5)  # one batch holds all five

    assert stored(engine, papers.c.arxiv_id) == [row["id"] for i, row in enumerate(rows) if i != 2]
    assert (summary.seen, summary.added) == (5, 4)
    assert summary.skipped == {"title longer than 1000 characters": 1}
    assert "skipped line 3: title longer than 1000 characters" in caplog.messages


@pytest.mark.parametrize("restart", [False, True], ids=["completed-run", "restart"])
@pytest.mark.parametrize(
    "name", ["papers.jsonl", "papers.csv", "refs.bib", "kaggle_snapshot.json.gz"]
)
def test_rerunning_an_ingest_changes_nothing(engine, name, restart):
    first, _ = ingest_file(engine, FILES / name, batch_size=2)
    before = store_rows(engine)

    second, resumed_at = ingest_file(engine, FILES / name, batch_size=2, restart=restart)

    assert first.added > 0 and before["papers"]
    assert resumed_at == 0  # a completed run leaves no checkpoint behind
    assert (second.added, second.updated, second.listings) == (0, 0, 0)
    assert second.unchanged == second.seen - second.skipped_total > 0
    assert (second.seen, second.skipped) == (first.seen, first.skipped)
    assert store_rows(engine) == before  # every column, modified_at included
    assert checkpoints(engine) == {}


# --- local files: interrupted runs ---------------------------------------------------------------


def test_an_ingest_killed_mid_run_resumes_after_its_last_committed_batch(
    tmp_path, monkeypatch, capsys
):
    data_dir = tmp_path / "data"
    for name in [n for n in os.environ if n.startswith("PAPERFEED_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERFEED_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PAPERFEED_INGEST_BATCH_SIZE", "100")
    monkeypatch.chdir(tmp_path)
    rows = generated_rows(LONG_RUN)
    source = write_jsonl(tmp_path / "generated.jsonl", rows)
    assert run(["db", "upgrade"]) == 0
    database = data_dir / "paperfeed.db"

    paperfeed = Path(sys.executable).parent / "paperfeed"
    process = subprocess.Popen(
        [str(paperfeed), "ingest", "file", str(source)], cwd=tmp_path, env=dict(os.environ),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        # A read-only connection of our own; in WAL mode it never blocks the writer.
        reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        deadline = time.monotonic() + 30
        while (count := reader.execute("SELECT count(*) FROM papers").fetchone()[0]) < 500:
            assert process.poll() is None, f"ingest ended (exit {process.returncode}) at {count}"
            assert time.monotonic() < deadline, f"only {count} papers after 30 s"
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        reader.close()
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL  # killed, not finished

    with sqlite3.connect(database) as conn:
        at_kill = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert 500 <= at_kill < LONG_RUN
    capsys.readouterr()

    assert run(["ingest", "file", str(source)]) == 0

    out = " ".join(capsys.readouterr().out.split())
    resumed_at = int(re.search(r"resumed after record (\d+)", out).group(1))
    assert resumed_at == at_kill  # papers and checkpoint were committed together
    assert resumed_at % 100 == 0
    counts = re.search(r"([\d,]+) seen, ([\d,]+) added, ([\d,]+) updated, ([\d,]+) unchanged", out)
    rest = LONG_RUN - at_kill
    assert [int(n.replace(",", "")) for n in counts.groups()] == [rest, rest, 0, 0]
    with sqlite3.connect(database) as conn:
        keys = [key for (key,) in conn.execute("SELECT key FROM papers")]
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    assert len(keys) == LONG_RUN
    assert sorted(keys) == sorted(row["id"] for row in rows)  # each paper once


def test_a_ctrl_c_from_the_batch_callback_resumes_after_the_last_committed_batch(engine, tmp_path):
    rows = generated_rows(20)
    source = write_jsonl(tmp_path / "generated.jsonl", rows)
    batches = 0

    def interrupt_after_three_batches(_summary) -> None:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, source, batch_size=3, on_batch=interrupt_after_three_batches)
    assert stored(engine, papers.c.arxiv_id) == [row["id"] for row in rows[:9]]

    summary, resumed_at = ingest_file(engine, source, batch_size=3)

    assert resumed_at == 9
    assert (summary.seen, summary.added, summary.unchanged) == (11, 11, 0)
    assert stored(engine, papers.c.arxiv_id) == [row["id"] for row in rows]
    assert checkpoints(engine) == {}


@pytest.mark.parametrize("change", ["restart", "file-changed"])
def test_a_restart_or_a_changed_file_ignores_the_checkpoint(engine, tmp_path, change):
    rows = generated_rows(10)
    source = write_jsonl(tmp_path / "generated.jsonl", rows)

    def interrupt(_summary) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, source, batch_size=4, on_batch=interrupt)
    if change == "file-changed":
        rows += generated_rows(12)[10:]
        write_jsonl(source, rows)

    summary, resumed_at = ingest_file(engine, source, batch_size=4, restart=change == "restart")

    assert resumed_at == 0
    assert (summary.seen, summary.unchanged, summary.added) == (len(rows), 4, len(rows) - 4)
    assert stored(engine, papers.c.arxiv_id) == [row["id"] for row in rows]


# --- arXiv OAI-PMH -------------------------------------------------------------------------------


@pytest.mark.parametrize("last_token", ["empty", "none"])
def test_oai_harvest_pages_with_the_resumption_token_and_clears_its_checkpoint(engine, last_token):
    first, second, ids = oai_pages(split=20, last_token=last_token)

    with ReplayServer(oai_routes(first, Reply(200, second, XML))) as server, client() as http:
        summary = harvests.harvest_arxiv_oai(
            engine, http, settings_for(server), set_spec="cs",
            from_date=date(2015, 1, 16), until_date=date(2015, 1, 18),
        )

    assert [r.query for r in server.requests] == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2015-01-16",
         "until": "2015-01-18"},
        {"verb": "ListRecords", "resumptionToken": OAI_TOKEN},
    ]
    assert len(ids) == 46
    assert (summary.seen, summary.added, summary.skipped) == (46, 46, {})
    assert stored(engine, papers.c.arxiv_id) == sorted(ids)
    assert checkpoints(engine) == {}


def test_oai_harvest_failing_on_page_2_keeps_page_1_and_the_next_run_resumes_at_the_token(engine):
    first, second, ids = oai_pages(split=20)
    kwargs = {"set_spec": "cs", "from_date": date(2015, 1, 16), "until_date": None}

    failing = oai_routes(first, Reply(500, "Internal Server Error"))
    with (
        ReplayServer(failing) as broken,
        client() as http,
        pytest.raises(SourceError, match="HTTP 500"),
    ):
        harvests.harvest_arxiv_oai(engine, http, settings_for(broken), **kwargs)

    assert len(broken.requests) == 2
    assert stored(engine, papers.c.arxiv_id) == sorted(ids[:20])
    assert list(checkpoints(engine).values()) == [{"cursor": OAI_TOKEN}]

    with ReplayServer(oai_routes(first, Reply(200, second, XML))) as healthy, client() as http:
        summary = harvests.harvest_arxiv_oai(engine, http, settings_for(healthy), **kwargs)

    assert [r.query for r in healthy.requests] == [
        {"verb": "ListRecords", "resumptionToken": OAI_TOKEN}
    ]
    assert (summary.seen, summary.added) == (26, 26)
    assert stored(engine, papers.c.arxiv_id) == sorted(ids)
    assert checkpoints(engine) == {}


# --- Hugging Face daily papers -------------------------------------------------------------------

DAY = date(2024, 10, 23)
HF_LISTINGS = {
    "2410.17243": (DAY, "hf-daily", "hangzhang", 86),
    "2410.05258": (DAY, "hf-daily", "akhaliq", 141),
    "2408.06292": (DAY, "hf-daily", "RobertTLange", 23),
    "2406.09414": (DAY, "hf-daily", None, 0),  # nulls where the API allows them
}


def test_hf_daily_harvest_stores_papers_and_listings_and_a_rerun_changes_nothing(engine):
    day_file = Reply(200, HF_DAY.read_bytes(), JSON)
    with ReplayServer({"/api/daily_papers": day_file}) as server, client() as http:
        first = harvests.harvest_hf_daily(engine, http, settings_for(server), day=DAY)
        before = store_rows(engine)
        again = harvests.harvest_hf_daily(engine, http, settings_for(server), day=DAY)

    asked = {"date": "2024-10-23", "p": "0", "limit": "50"}
    assert [r.query for r in server.requests] == [asked, asked]
    assert (first.seen, first.added, first.listings, first.skipped) == (4, 4, 4, {})
    assert stored(engine, papers.c.arxiv_id) == sorted(HF_LISTINGS)
    assert hf_listings(engine) == HF_LISTINGS
    assert (again.added, again.updated, again.unchanged, again.listings) == (0, 0, 4, 0)
    assert store_rows(engine) == before
    assert checkpoints(engine) == {}


def test_hf_daily_harvest_takes_the_new_upvote_count_of_a_later_response(engine):
    items = json.loads(HF_DAY.read_bytes())
    (item,) = [item for item in items if item["paper"]["id"] == "2410.05258"]
    item["paper"]["upvotes"] = 212
    later = json.dumps(items).encode()
    replies = [Reply(200, HF_DAY.read_bytes(), JSON), Reply(200, later, JSON)]

    with ReplayServer({"/api/daily_papers": replies}) as server, client() as http:
        harvests.harvest_hf_daily(engine, http, settings_for(server), day=DAY)
        papers_before = store_rows(engine)["papers"]
        second = harvests.harvest_hf_daily(engine, http, settings_for(server), day=DAY)

    assert (second.added, second.updated, second.listings) == (0, 0, 1)
    assert hf_listings(engine) == {**HF_LISTINGS, "2410.05258": (DAY, "hf-daily", "akhaliq", 212)}
    assert store_rows(engine)["papers"] == papers_before


# --- arXiv API -----------------------------------------------------------------------------------


def test_arxiv_api_harvest_by_id_stores_the_recorded_papers(engine):
    routes = {
        "/api/query?id_list=1605.08386": recorded_api("id_1605.08386_s0_m100"),
        # 0808.05394 does not exist: arXiv answers with the one paper it knows.
        "/api/query?id_list=0808.05394,1707.08567":
            recorded_api("id_0808.05394_1707.08567_s0_m100"),
    }
    with ReplayServer(routes) as server, client() as http:
        one = harvests.harvest_arxiv_api(engine, http, settings_for(server), id_list=["1605.08386"])
        two = harvests.harvest_arxiv_api(
            engine, http, settings_for(server), id_list=["0808.05394", "1707.08567"]
        )

    assert [r.query["id_list"] for r in server.requests] == ["1605.08386", "0808.05394,1707.08567"]
    assert [(s.seen, s.added) for s in (one, two)] == [(1, 1), (1, 1)]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(papers.c.arxiv_id, papers.c.title, papers.c.sources)
                            .order_by(papers.c.arxiv_id)).all()
    assert [tuple(row) for row in rows] == [
        ("1605.08386", "Heat-bath random walks with Markov bases", ["arxiv-api"]),
        ("1707.08567",
         "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications",
         ["arxiv-api"]),
    ]
    assert checkpoints(engine) == {}


def test_arxiv_api_error_feed_becomes_a_source_error_with_arxivs_message(engine):
    reply = recorded_api("id_abc_s0_m100")
    assert reply.status == 400  # arXiv explains a bad request in an Atom feed sent with HTTP 400

    with (
        ReplayServer({"/api/query?id_list=abc": reply}) as server,
        client() as http,
        pytest.raises(SourceError, match="^arXiv API error: incorrect id format for abc$"),
    ):
        harvests.harvest_arxiv_api(engine, http, settings_for(server), id_list=["abc"])

    assert len(server.requests) == 1
    assert stored(engine, papers.c.id) == []
    assert checkpoints(engine) == {}


def query_routes() -> dict[str, Reply]:
    """The recorded search_query=testing pages of ten, then a page past the end (an empty feed)."""
    routes = {
        f"/api/query?search_query=testing&start={start}&max_results=10":
            recorded_api(f"q_testing_s{start}_m10")
        for start in range(0, 60, 10)
    }
    past_the_end = recorded_api("id_0000.0000_s0_m100")  # no entries, totalResults 0
    routes["/api/query?search_query=testing&start=60&max_results=10"] = past_the_end
    return routes


def test_arxiv_api_query_harvest_stops_at_a_page_that_brings_nothing_new(engine):
    routes = query_routes()
    ids = {arxiv_id for reply in routes.values() for arxiv_id in feed_ids(reply)}

    with ReplayServer(routes) as server, client() as http:
        first = harvests.harvest_arxiv_api(
            engine, http, settings_for(server), query="testing", page_size=10
        )
    with ReplayServer(routes) as server_again, client() as http:
        again = harvests.harvest_arxiv_api(
            engine, http, settings_for(server_again), query="testing", page_size=10
        )

    assert [r.query["start"] for r in server.requests] == ["0", "10", "20", "30", "40", "50", "60"]
    assert len(ids) == 60 and first.added == 60
    assert [r.query["start"] for r in server_again.requests] == ["0"]  # polite: one page, then stop
    assert (again.seen, again.added, again.updated, again.unchanged) == (10, 0, 0, 10)
    assert stored(engine, papers.c.arxiv_id) == sorted(ids)
    assert checkpoints(engine) == {}


def test_arxiv_api_query_harvest_takes_the_new_papers_on_top_then_stops(engine):
    routes = query_routes()
    second_page = routes["/api/query?search_query=testing&start=10&max_results=10"]
    BatchWriter(engine).write(arxiv_api.parse(second_page.body_bytes, start=10).records)  # known

    with ReplayServer(routes) as server, client() as http:
        summary = harvests.harvest_arxiv_api(engine, http, settings_for(server), query="testing",
                                             page_size=10)

    assert [r.query["start"] for r in server.requests] == ["0", "10"]
    assert (summary.added, summary.unchanged) == (10, 10)
    assert checkpoints(engine) == {}
