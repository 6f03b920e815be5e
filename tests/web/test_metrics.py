"""/metrics as a Prometheus server scrapes it: requests by route template (never a paper's key), each
search leg's latency, the store's and the index's state read at scrape time, who may read it, and
two real `paperfeed serve` workers whose counts add up whichever of them answers the scrape."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from digest.digest_factories import add_subscriber
from factories import arxiv_id, make_paper, store_paper
from paperfeed.config import Settings
from paperfeed.db import digests
from paperfeed.db.engine import make_engine
from paperfeed.models import Pick
from paperfeed.search import update_index
from paperfeed.web.metrics import UNMATCHED, index_lag_seconds
from serve_process import serving
from web_client import build_app, indexed_search, sqlite_engine

LOOPBACK = ("127.0.0.1", 40000)
ELSEWHERE = ("203.0.113.9", 40000)  # a documentation address: only ever a label on an in-process request
TOKEN = "metrics-token-" + "m" * 32


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition: (name, labels) -> value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scraped: dict, name: str, **labels: str) -> float | None:
    return scraped.get((name, frozenset(labels.items())))


def scrape(visitor: TestClient) -> dict:
    answer = visitor.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


@pytest.fixture
def engine(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        yield engine


def test_requests_are_counted_by_route_template_never_by_key(engine, tmp_path):
    keys = [arxiv_id(n) for n in (1, 2, 3)]
    for n in (1, 2, 3):
        store_paper(engine, n)
    with TestClient(build_app(engine, tmp_path), client=LOOPBACK) as visitor:
        for key in keys:
            assert visitor.get(f"/papers/{key}").status_code == 200
        assert visitor.get("/papers/2405.99999").status_code == 404
        for path in ("/wp-login.php", "/nope/deeper"):
            assert visitor.get(path).status_code == 404
        assert visitor.get("/sign-in.json").status_code == 200  # routed as /sign-in
        answer = visitor.get("/metrics")
    scraped = samples(answer.text)
    total = "paperfeed_http_requests_total"
    assert value(scraped, total, method="GET", route="/papers/{key:path}", status="200") == 3
    assert value(scraped, total, method="GET", route="/papers/{key:path}", status="404") == 1
    assert value(scraped, total, method="GET", route=UNMATCHED, status="404") == 2
    assert value(scraped, total, method="GET", route="/sign-in", status="200") == 1
    assert value(scraped, "paperfeed_http_request_duration_seconds_count", method="GET",
                 route="/papers/{key:path}") == 4
    for raw in (*keys, "2405.99999", "wp-login", "deeper"):
        assert raw not in answer.text


@pytest.mark.parametrize(("peer", "token", "authorization", "status"), [
    (LOOPBACK, None, None, 200),
    (("::1", 40000), None, None, 200),
    (ELSEWHERE, None, None, 403),
    (ELSEWHERE, None, "Bearer anything", 403),
    (ELSEWHERE, TOKEN, None, 401),
    (ELSEWHERE, TOKEN, "Bearer wrong-token", 401),
    (ELSEWHERE, TOKEN, f"Basic {TOKEN}", 401),
    (ELSEWHERE, TOKEN, f"Bearer {TOKEN}", 200),
    (ELSEWHERE, "", "Bearer ", 403),  # an empty token is no token: it opens nothing
    (LOOPBACK, TOKEN, None, 200),
])
def test_metrics_are_for_loopback_or_the_token_holder(engine, tmp_path, peer, token, authorization, status):
    app = build_app(engine, tmp_path, metrics_token=token)
    headers = {"Authorization": authorization} if authorization else {}
    with TestClient(app, client=peer) as visitor:
        answer = visitor.get("/metrics", headers=headers)
    assert answer.status_code == status, answer.text
    assert ("paperfeed_http_requests_total" in answer.text) is (status == 200)


def test_each_search_leg_is_timed(engine, tmp_path, models_dir):
    """A topical query runs all three legs; a fielded lookup (au:) runs the keyword leg alone."""
    for n in (1, 2):
        store_paper(engine, n, title=f"Attention for translation, part {n}")
    settings = Settings(_env_file=None, data_dir=tmp_path, models_dir=models_dir, database_url=str(engine.url))
    app = build_app(engine, tmp_path, search=indexed_search(engine, settings), models_dir=models_dir)
    with TestClient(app, client=LOOPBACK) as visitor:
        assert visitor.get("/search", params={"q": "attention translation"}).status_code == 200
        assert visitor.get("/search", params={"q": 'au:"Vaswani"'}).status_code == 200
        scraped = scrape(visitor)
    count = "paperfeed_search_leg_duration_seconds_count"
    assert (value(scraped, count, leg="keyword"), value(scraped, count, leg="semantic"),
            value(scraped, count, leg="fusion")) == (2, 1, 1)


def test_a_keyword_only_instance_reports_no_semantic_latency(engine, tmp_path):
    store_paper(engine, 1)
    update_index(Settings(_env_file=None, data_dir=tmp_path, database_url=str(engine.url)), engine, semantic=False)
    with TestClient(build_app(engine, tmp_path), client=LOOPBACK) as visitor:
        assert visitor.get("/search", params={"q": "attention"}).status_code == 200
        scraped = scrape(visitor)
    count = "paperfeed_search_leg_duration_seconds_count"
    assert value(scraped, count, leg="keyword") == 1
    assert value(scraped, count, leg="semantic") is None


def store_digests(engine, statuses: list[str]) -> None:
    """One digest in each of `statuses` (sent, failed or pending), each for its own subscriber, holding paper 1."""
    paper = make_paper(1)
    paper.id = store_paper(engine, 1, source="arxiv-oai")
    now = datetime(2026, 11, 2, 8, tzinfo=UTC)
    subscribers = {add_subscriber(engine, f"reader{n}@example.org"): status for n, status in enumerate(statuses)}
    with engine.begin() as conn:
        digests.create_digests(conn, [
            digests.PlannedDigest(subscriber, "2026-11-02", f"<digest-{subscriber}@example.org>",
                                  [Pick(paper, ("new in cs.CL",))])
            for subscriber in subscribers], now)
        for digest in digests.pending_digests(conn, 0, 100):
            if subscribers[digest.subscriber_id] == digests.SENT:
                digests.mark_sent(conn, digest.id, now)
            elif subscribers[digest.subscriber_id] == digests.FAILED:
                digests.mark_failed(conn, digest.id, "550 no such mailbox")


def test_the_instance_gauges_come_from_the_store_and_the_index(engine, tmp_path):
    store_digests(engine, [digests.SENT, digests.SENT, digests.FAILED, digests.PENDING])
    for n in (2, 3):
        store_paper(engine, n, source="hf-daily")
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=str(engine.url))
    with TestClient(build_app(engine, tmp_path), client=LOOPBACK) as visitor:
        before_index = scrape(visitor)
        update_index(settings, engine, semantic=False)
        caught_up = scrape(visitor)
        store_paper(engine, 4)  # a paper the index has not seen
        behind = scrape(visitor)
        update_index(settings, engine, semantic=False)
        again = scrape(visitor)
    assert value(caught_up, "paperfeed_papers", source="arxiv-oai") == 1
    assert value(caught_up, "paperfeed_papers", source="hf-daily") == 2
    assert [value(caught_up, "paperfeed_digests", status=s) for s in ("sent", "failed", "pending")] == [2, 1, 1]
    assert value(caught_up, "paperfeed_database_up") == 1
    lag = "paperfeed_keyword_index_lag_seconds"
    assert value(before_index, lag) is None  # no index yet: nothing to lag behind (/readyz says "not built")
    assert value(caught_up, lag) == 0
    assert value(behind, lag) > 0
    assert value(again, lag) == 0
    assert value(again, "paperfeed_job_runs_total", job="backup") is None  # no job has run yet


def test_the_jobs_runs_and_failures_come_from_the_store(engine, tmp_path):
    from paperfeed.db.jobs import claim, finish

    with engine.begin() as conn:
        for due, status in ((datetime(2026, 11, 2, tzinfo=UTC), "ok"), (datetime(2026, 11, 3, tzinfo=UTC), "failed")):
            assert claim(conn, "backup", due, "test-runner")
            finish(conn, "backup", due, status, 2.5, 1, None, error="disk full" if status == "failed" else None)
    with TestClient(build_app(engine, tmp_path), client=LOOPBACK) as visitor:
        scraped = scrape(visitor)
    assert value(scraped, "paperfeed_job_runs_total", job="backup") == 2
    assert value(scraped, "paperfeed_job_failures_total", job="backup") == 1
    assert value(scraped, "paperfeed_job_last_duration_seconds", job="backup") == 2.5


@pytest.mark.parametrize(("newest", "synced", "lag"), [
    (None, datetime(2026, 11, 2, tzinfo=UTC), 0.0),  # an empty store
    (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC), 0.0),
    (datetime(2026, 11, 2, 0, 1, 30, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC), 90.0),
    (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC) + timedelta(minutes=1), 0.0),
])
def test_index_lag(newest, synced, lag):
    assert index_lag_seconds(newest, synced) == lag


def test_a_scrape_still_answers_when_the_database_does_not(tmp_path):
    unreachable = make_engine(f"sqlite:///{tmp_path / 'db'}/paperfeed.db")
    (tmp_path / "db").rmdir()
    with TestClient(build_app(unreachable, tmp_path), client=LOOPBACK) as visitor:
        visitor.get("/healthz")
        scraped = scrape(visitor)
    assert value(scraped, "paperfeed_database_up") == 0
    assert value(scraped, "paperfeed_http_requests_total", method="GET", route="/healthz", status="200") == 1


def test_two_real_workers_add_up_in_every_scrape(tmp_path):
    """Each request on a new connection (the kernel spreads those across the workers); every scrape,
    whichever worker answers it, counts all of them."""
    requests = 24
    with serving(tmp_path, "--workers", "2") as (base, data_dir):
        for _ in range(requests):
            assert httpx.get(base + "/api/daily_papers").status_code == 200
        scrapes = [samples(httpx.get(base + "/metrics").text) for _ in range(6)]
        writers = {path.stem.split("_")[-1] for path in (data_dir / "metrics").glob("counter_*.db")}
    counted = [value(s, "paperfeed_http_requests_total", method="GET", route="/api/daily_papers", status="200")
               for s in scrapes]
    assert counted == [requests] * len(scrapes)
    assert len(writers) == 2, "both workers answered requests"
    # the scrapes count themselves as they go: 0, 1, 2, ... earlier scrapes, from either worker
    seen = [value(s, "paperfeed_http_requests_total", method="GET", route="/metrics", status="200") or 0
            for s in scrapes]
    assert seen == list(range(len(scrapes)))
