"""`ingest recent` as a library call: live sources when arXiv answers, else the sample file, else
nothing; the caller hears where the papers come from before anything is fetched."""

from __future__ import annotations

from datetime import date

from conftest import TEST_DATA, shared_path
from paperfeed.config import Settings
from paperfeed.http import HttpClient
from paperfeed.models import IngestSummary
from paperfeed.recent import Origin, RecentSource, ingest_recent
from replay_server import ReplayServer, Reply, closed_port_url

FILES = TEST_DATA / "files"
HF_DAY = TEST_DATA / "hf_daily" / "day_2024-10-23.json"
TODAY = date(2024, 10, 24)


def client() -> HttpClient:
    return HttpClient("paperfeed-tests", timeout_s=10, retries=0)


class Display:
    """Records what ingest_recent tells its caller, in order."""

    def __init__(self, server: ReplayServer | None = None) -> None:
        self.server, self.events = server, []

    def start(self, source: RecentSource):
        asked = len(self.server.requests) if self.server else 0
        self.events.append(("start", source.origin, asked))
        return lambda summary: self.events.append(("batch", summary.seen))


def test_offline_it_ingests_the_sample_file_and_says_so_first(engine):
    settings = Settings(_env_file=None, arxiv_oai_url=closed_port_url(), sample=FILES / "papers.jsonl")
    display = Display()

    with client() as http:
        result = ingest_recent(engine, http, settings, days=2, today=TODAY, on_start=display.start)

    assert result.source == RecentSource(Origin.SAMPLE, 2, FILES / "papers.jsonl")
    assert (result.summary.seen, result.summary.added) == (9, 4)
    assert display.events[0] == ("start", Origin.SAMPLE, 0)
    assert display.events[1:] and all(event[0] == "batch" for event in display.events[1:])


def test_offline_without_a_sample_it_ingests_nothing(engine, tmp_path):
    missing = tmp_path / "papers.jsonl.gz"
    settings = Settings(_env_file=None, arxiv_oai_url=closed_port_url(), sample=missing)
    display = Display()

    with client() as http:
        result = ingest_recent(engine, http, settings, days=2, today=TODAY, on_start=display.start)

    assert result.source == RecentSource(Origin.NOTHING, 2, missing)
    assert result.summary == IngestSummary()
    assert display.events == [("start", Origin.NOTHING, 0)]


def test_online_it_harvests_the_followed_sets_then_each_hugging_face_day(engine):
    oai_page = shared_path("fixtures", "arxiv_oai_pmh", "sample_arxiv_response_listrecords_cs.xml").read_bytes()
    routes = {
        "/oai?verb=ListRecords": Reply(200, oai_page, {"Content-Type": "text/xml"}),
        "/api/daily_papers": Reply(200, HF_DAY.read_bytes(), {"Content-Type": "application/json"}),
    }
    with ReplayServer(routes) as server, client() as http:
        settings = Settings(
            _env_file=None, arxiv_oai_url=f"{server.url}/oai", hf_api_url=f"{server.url}/api/daily_papers",
            categories=["cs.LG", "cs.CL"],
        )
        display = Display(server)
        result = ingest_recent(engine, http, settings, days=2, today=TODAY, on_start=display.start)

    assert result.source.origin is Origin.LIVE
    assert display.events[0] == ("start", Origin.LIVE, 1)  # told after the reachability HEAD, before any GET
    assert [(r.method, r.query.get("from") or r.query.get("date")) for r in server.requests] == [
        ("HEAD", None), ("GET", "2024-10-22"), ("GET", "2024-10-24"), ("GET", "2024-10-23"),
    ]
    assert (result.summary.added, result.summary.listings) == (46 + 4, 4)
