"""The `paperfeed` command, driven for real: in-process through `paperfeed.cli.run` (settings are
built per invocation from PAPERFEED_* variables), and as the installed console script in a
subprocess. Remote sources are a loopback server replaying recorded responses. Errors must come
out as one line and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from cli_runner import clean_environment, cli_invoker
from conftest import TEST_DATA, shared_path
from paperfeed.db import migrate
from replay_server import ReplayServer, Reply, closed_port_url

FILES = TEST_DATA / "files"
HF_DAY = TEST_DATA / "hf_daily" / "day_2024-10-23.json"
CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"
XML = {"Content-Type": "text/xml; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
SCHEMA_MESSAGE = "run `paperfeed db upgrade`"
SUMMARY_KEYS = {"seen", "added", "updated", "unchanged", "listings", "skipped"}
STATS_KEYS = {"papers", "listings", "users", "votes", "by_source", "by_category", "by_day",
              "first_day", "last_day"}


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A fresh PAPERFEED_DATA_DIR, no PAPERFEED_* setting from outside, no retries or pauses."""
    return clean_environment(monkeypatch, tmp_path)


@pytest.fixture
def paperfeed(data_dir, capsys):
    return cli_invoker(capsys)


@pytest.fixture
def upgraded(paperfeed):
    assert paperfeed("db", "upgrade").code == 0
    return paperfeed


# Long enough that the run is still going when the test interrupts it, on any machine.
LONG_RUN = 20_000


def stats(paperfeed) -> dict:
    result = paperfeed("stats", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def use_server(monkeypatch, server: ReplayServer) -> None:
    monkeypatch.setenv("PAPERFEED_ARXIV_OAI_URL", f"{server.url}/oai")
    monkeypatch.setenv("PAPERFEED_ARXIV_API_URL", f"{server.url}/api/query")
    monkeypatch.setenv("PAPERFEED_HF_API_URL", f"{server.url}/api/daily_papers")


def oai_cs_page() -> bytes:
    """arXiv's recorded ListRecords response for set cs: 46 records, no resumptionToken."""
    name = "sample_arxiv_response_listrecords_cs.xml"
    return shared_path("fixtures", "arxiv_oai_pmh", name).read_bytes()


def recorded_api(prefix: str) -> Reply:
    (path,) = shared_path("fixtures", "arxiv_api").glob(f"{prefix}_*.json")
    response = json.loads(path.read_text(encoding="utf-8"))
    atom = {"Content-Type": "application/atom+xml"}
    return Reply(response["status_code"], response["body"], atom)


def script_env(tmp_path: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAPERFEED_")}
    env["PAPERFEED_DATA_DIR"] = str(tmp_path / "data")
    return env


def run_script(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *map(str, args)], cwd=tmp_path, env=script_env(tmp_path),
        capture_output=True, text=True, timeout=60,
    )


# --- help, schema --------------------------------------------------------------------------------


def test_no_arguments_shows_the_help(paperfeed):
    result = paperfeed()

    assert result.code == 2  # click's convention: a bare command group is a usage error
    assert "Usage: paperfeed" in result.out
    for summary in ("Database schema.", "Bring papers in from a source.", "What the store holds"):
        assert summary in result.out


def test_db_upgrade_twice_keeps_the_schema_and_the_data(paperfeed, data_dir):
    first = paperfeed("db", "upgrade")
    assert paperfeed("ingest", "file", FILES / "papers.jsonl").code == 0
    second = paperfeed("db", "upgrade")

    for result in (first, second):
        assert result.code == 0, result.err
        assert f"database at revision {migrate.head_revision()}" in result.text
    assert (data_dir / "paperfeed.db").is_file()
    assert stats(paperfeed)["papers"] == 4


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["ingest", "file", FILES / "papers.jsonl"],
        ["ingest", "hf-daily", "--date", "2024-10-23"],
        ["ingest", "recent"],
    ],
    ids=["stats", "ingest-file", "ingest-hf-daily", "ingest-recent"],
)
def test_a_command_before_db_upgrade_says_to_run_it(paperfeed, args):
    result = paperfeed(*args)

    assert result.code == 1
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("error: ") and SCHEMA_MESSAGE in result.err_lines[0]
    assert "Traceback" not in result.err
    assert result.out == ""


# --- ingest file, stats --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_ingest_file_that_is_not_a_file_is_a_one_line_error(upgraded, tmp_path, kind):
    # A path longer than the 80 columns rich assumes off a terminal: the error must not wrap.
    path = tmp_path / "downloads" / "arxiv-metadata-oai-snapshot-that-was-never-downloaded.json.gz"
    if kind == "directory":
        path.mkdir(parents=True)

    result = upgraded("ingest", "file", path)

    assert result.code == 1
    expected = f"error: no such file: {path}" if kind == "missing" else f"error: not a file: {path}"
    assert result.err_lines == [expected]
    assert result.out == ""
    assert stats(upgraded)["papers"] == 0


def test_ingest_file_prints_a_summary_with_the_reasons_for_skipping(upgraded):
    result = upgraded("ingest", "file", FILES / "papers.jsonl")

    assert result.code == 0, result.err
    assert f"ingest of {FILES / 'papers.jsonl'}: 9 seen, 4 added, 0 updated, 0 unchanged, " \
           "5 skipped, 0 listings changed" in result.text
    reasons = ("missing title", "bad date in published: '2021-13-45'", "not a JSON object but list")
    for reason in reasons:
        assert reason in result.out


def test_ingest_file_json_prints_the_summary_for_scripts(upgraded):
    first = upgraded("ingest", "file", "--json", FILES / "papers.jsonl")
    again = upgraded("ingest", "file", "--json", FILES / "papers.jsonl")

    summaries = [json.loads(result.out) for result in (first, again)]  # stdout is JSON only
    assert all(set(summary) == SUMMARY_KEYS for summary in summaries)
    fields = ("seen", "added", "updated", "unchanged", "listings")
    assert [[s[f] for f in fields] for s in summaries] == [[9, 4, 0, 0, 0], [9, 0, 0, 4, 0]]
    assert sum(summaries[0]["skipped"].values()) == 5
    assert summaries[0]["skipped"]["missing title"] == 1
    assert summaries[1]["skipped"] == summaries[0]["skipped"]


def test_stats_counts_papers_by_source_category_and_day(upgraded):
    for name in ("papers.jsonl", "papers.csv", "kaggle_snapshot.json.gz"):
        assert upgraded("ingest", "file", FILES / name).code == 0

    result = stats(upgraded)
    text = upgraded("stats")

    assert set(result) == STATS_KEYS
    assert (result["papers"], result["listings"], result["users"], result["votes"]) == (13, 0, 0, 0)
    assert list(result["by_source"].items()) == [("kaggle", 6), ("jsonl", 4), ("csv", 3)]
    assert list(result["by_category"].items()) == [
        ("cs.CL", 5), ("(none)", 2), ("cs.CV", 1), ("hep-ph", 1), ("hep-th", 1), ("math.CO", 1),
        ("math.DG", 1), ("stat.ML", 1),
    ]
    # Listing day, else first-version day; the ten most recent; LoRA has neither.
    assert list(result["by_day"]) == [
        "2023-05-18", "2021-07-15", "2021-04-20", "2018-10-12", "2017-06-12", "2015-12-10",
        "2014-06-10", "2014-06-01", "2007-04-02", "2007-03-31",
    ]
    assert set(result["by_day"].values()) == {1}
    assert (result["first_day"], result["last_day"]) == ("1997-11-27", "2023-05-18")
    assert text.code == 0
    assert "13 papers, 0 listings, 0 users, 0 votes; days 1997-11-27 .. 2023-05-18" in text.text


# --- network ingests against the replay server ---------------------------------------------------


def test_ingest_arxiv_oai_harvests_and_prints_a_summary(upgraded, monkeypatch):
    with ReplayServer({"/oai?verb=ListRecords": Reply(200, oai_cs_page(), XML)}) as server:
        use_server(monkeypatch, server)
        result = upgraded("ingest", "arxiv-oai", "--set", "cs", "--from", "2015-01-16",
                          "--until", "2015-01-18")

    assert result.code == 0, result.err
    assert [r.query for r in server.requests] == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2015-01-16",
         "until": "2015-01-18"},
    ]
    assert "arXiv OAI-PMH harvest: 46 seen, 46 added, 0 updated" in result.text
    assert stats(upgraded)["by_source"] == {"arxiv-oai": 46}


def test_ingest_arxiv_api_by_id_and_by_query_page_by_page(upgraded, monkeypatch):
    routes = {
        "/api/query?id_list=0808.05394,1707.08567":
            recorded_api("id_0808.05394_1707.08567_s0_m100"),
        **{f"/api/query?search_query=testing&start={start}&max_results=10":
           recorded_api(f"q_testing_s{start}_m10") for start in (0, 10, 20)},
    }
    with ReplayServer(routes) as server:
        use_server(monkeypatch, server)
        by_id = upgraded("ingest", "arxiv-api", "--id", "0808.05394", "--id", "1707.08567",
                         "--json")
        two_pages = upgraded("ingest", "arxiv-api", "--query", "testing", "--page-size", "10",
                             "--max-pages", "2", "--json")
        next_page = upgraded("ingest", "arxiv-api", "--query", "testing", "--page-size", "10",
                             "--max-pages", "1", "--json")

    assert [json.loads(r.out)["added"] for r in (by_id, two_pages, next_page)] == [1, 20, 10]
    # --max-pages keeps the place: the next run continues where the last one stopped.
    assert [r.query.get("start") for r in server.requests] == ["0", "0", "10", "20"]
    assert server.requests[0].query["id_list"] == "0808.05394,1707.08567"
    assert stats(upgraded)["papers"] == 31


def test_ingest_hf_daily_stores_papers_and_listings(upgraded, monkeypatch):
    with ReplayServer({"/api/daily_papers": Reply(200, HF_DAY.read_bytes(), JSON)}) as server:
        use_server(monkeypatch, server)
        result = upgraded("ingest", "hf-daily", "--date", "2024-10-23")

    assert result.code == 0, result.err
    assert server.requests[0].query == {"date": "2024-10-23", "p": "0", "limit": "50"}
    assert "Hugging Face daily papers: 4 seen, 4 added, 0 updated, 0 unchanged, 0 skipped, " \
           "4 listings changed" in result.text
    counts = stats(upgraded)
    assert (counts["papers"], counts["listings"], counts["by_source"]) == (4, 4, {"hf-daily": 4})


@pytest.mark.parametrize(
    ("args", "route", "reply", "message"),
    [
        (["arxiv-oai", "--set", "cs"], "/oai", Reply(200, b"<OAI-PMH><ListRecords><record>", XML),
         "error: arXiv OAI-PMH: malformed XML: "),
        (["hf-daily", "--date", "2024-10-23"], "/api/daily_papers",
         Reply(200, (TEST_DATA / "hf_daily" / "truncated.json").read_bytes(), JSON),
         "error: Hugging Face daily papers: not JSON "),
        (["arxiv-api", "--id", "1706.03762"], "/api/query", Reply(503, "busy"),
         "error: GET http://127.0.0.1:"),
    ],
    ids=["malformed-xml", "truncated-json", "server-error"],
)
def test_an_unusable_response_is_a_one_line_error(
    upgraded, monkeypatch, args, route, reply, message
):
    with ReplayServer({route: reply}) as server:
        use_server(monkeypatch, server)
        result = upgraded("ingest", *args)

    assert result.code == 1
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith(message)
    assert "Traceback" not in result.err
    assert stats(upgraded)["papers"] == 0


def test_ingest_recent_offline_ingests_the_sample_file(upgraded, monkeypatch):
    monkeypatch.setenv("PAPERFEED_ARXIV_OAI_URL", closed_port_url())
    monkeypatch.setenv("PAPERFEED_SAMPLE", str(FILES / "papers.jsonl"))

    result = upgraded("ingest", "recent")

    assert result.code == 0, result.err
    offline = [line for line in result.err_lines if line.startswith("offline")]
    sample = FILES / "papers.jsonl"
    assert offline == [
        f"offline: arXiv is not reachable; ingesting the sample file {sample} instead"
    ]
    assert "9 seen, 4 added" in result.text
    assert stats(upgraded)["papers"] == 4


def test_ingest_recent_offline_without_a_sample_says_so(upgraded, monkeypatch, tmp_path):
    missing = tmp_path / "papers.jsonl.gz"
    monkeypatch.setenv("PAPERFEED_ARXIV_OAI_URL", closed_port_url())
    monkeypatch.setenv("PAPERFEED_SAMPLE", str(missing))

    result = upgraded("ingest", "recent")

    assert result.code == 0
    assert result.err_lines == [
        f"offline: arXiv is not reachable, and there is no sample file at {missing} "
        "(set PAPERFEED_SAMPLE); nothing ingested"
    ]
    assert stats(upgraded)["papers"] == 0


def test_ingest_recent_online_harvests_arxiv_and_hugging_face(upgraded, monkeypatch):
    monkeypatch.setenv("PAPERFEED_CATEGORIES", '["cs.LG", "cs.CL"]')  # one OAI set: cs
    routes = {
        "/oai?verb=ListRecords": Reply(200, oai_cs_page(), XML),
        "/api/daily_papers": Reply(200, HF_DAY.read_bytes(), JSON),
    }
    with ReplayServer(routes) as server:
        use_server(monkeypatch, server)
        result = upgraded("ingest", "recent", "--days", "2", "--json")
    today = date.today()

    assert result.code == 0, result.err
    assert [(r.method, r.path) for r in server.requests] == [
        ("HEAD", "/oai"), ("GET", "/oai"),
        ("GET", "/api/daily_papers"), ("GET", "/api/daily_papers"),
    ]
    assert server.requests[1].query == {
        "verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs",
        "from": str(today - timedelta(days=2)),
    }
    yesterday = today - timedelta(days=1)
    assert [r.query["date"] for r in server.requests[2:]] == [str(today), str(yesterday)]
    summary = json.loads(result.out)
    # The replayed HF day is the same both days: its papers and listings are stored once.
    assert (summary["added"], summary["unchanged"], summary["listings"]) == (46 + 4, 4, 4)
    counts = stats(upgraded)
    assert (counts["papers"], counts["listings"]) == (50, 4)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["arxiv-oai", "--from", "2024-13-01"], 2, "'2024-13-01' is not a date like 2026-11-20"),
        (["hf-daily", "--date", "yesterday"], 2, "'yesterday' is not a date like 2026-11-20"),
        (["arxiv-oai", "--from", "2024-10-02", "--until", "2024-10-01"], 1,
         "error: arXiv OAI-PMH: from 2024-10-02 is after until 2024-10-01"),
    ],
    ids=["bad-from", "bad-date", "from-after-until"],
)
def test_bad_dates_are_refused_without_a_traceback(upgraded, monkeypatch, args, code, message):
    with ReplayServer([Reply(500)]) as server:  # nothing may be asked of it
        use_server(monkeypatch, server)
        result = upgraded("ingest", *args)

    assert result.code == code
    assert message in " ".join(result.err.split())
    assert "Traceback" not in result.err
    assert server.requests == []


# --- the console script --------------------------------------------------------------------------


def test_console_script_upgrades_the_database_and_prints_stats_as_json(tmp_path):
    upgrade = run_script(tmp_path, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert f"database at revision {migrate.head_revision()}" in upgrade.stdout

    ingest = run_script(tmp_path, "ingest", "file", "--json", FILES / "papers.csv")
    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == 3
    assert "skipped line 5: missing title" in ingest.stderr  # the entry point configures logging

    result = run_script(tmp_path, "stats", "--json")
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert set(counts) == STATS_KEYS
    assert (counts["papers"], counts["by_source"]) == (3, {"csv": 3})
    assert (tmp_path / "data" / "paperfeed.db").is_file()


def test_console_script_reports_a_missing_file_in_one_line(tmp_path):
    assert run_script(tmp_path, "db", "upgrade").returncode == 0
    missing = tmp_path / "a-file-name-long-enough-to-be-wrapped-by-an-eighty-column-console.jsonl"

    result = run_script(tmp_path, "ingest", "file", missing)

    assert result.returncode == 1
    assert result.stderr.strip() == f"error: no such file: {missing}"
    assert result.stdout == ""


def test_console_script_ctrl_c_saves_finished_batches_and_the_rerun_resumes(tmp_path, paperfeed):
    rows = [{"id": f"2402.{n:05d}", "title": f"Interrupted paper {n}"} for n in range(1, LONG_RUN + 1)]
    source = tmp_path / "generated.jsonl"
    source.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    assert paperfeed("db", "upgrade").code == 0
    database = tmp_path / "data" / "paperfeed.db"
    env = {**script_env(tmp_path), "PAPERFEED_INGEST_BATCH_SIZE": "100"}

    process = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "ingest", "file", str(source)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell that starts jobs in the background (as CI may) leaves SIGINT ignored in them;
        # give the child the default, as a terminal would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        reader = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
        deadline = time.monotonic() + 30
        while (count := reader.execute("SELECT count(*) FROM papers").fetchone()[0]) < 300:
            assert process.poll() is None, f"ingest ended (exit {process.returncode}) at {count}"
            assert time.monotonic() < deadline, f"only {count} papers after 30 s"
            time.sleep(0.002)
        reader.close()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait(timeout=10)

    assert process.returncode == 130
    assert "interrupted: finished batches are saved; run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    with sqlite3.connect(database) as conn:
        saved = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert 300 <= saved < LONG_RUN

    rerun = paperfeed("ingest", "file", source)

    assert rerun.code == 0, rerun.err
    assert f"resumed after record {saved} " in rerun.text
    assert f"{LONG_RUN - saved:,} seen, {LONG_RUN - saved:,} added, 0 updated, 0 unchanged" in rerun.text
    assert stats(paperfeed)["papers"] == LONG_RUN
