"""Issue 12, item 9: several machines. Two `paperfeed serve` nodes, each with its own data folder (its
own search index), on one PostgreSQL database and one Redis: a paper ingested through node A is found
by keyword search through node B (B's own keyword-index job keeps B's index in step with the shared
store), and a rate limit counts the attempts made on both nodes together (one pair of servers for both:
starting them is most of the test's time).

Needs PAPERFEED_TEST_POSTGRES_URL (a fresh database per test) and Debian's `redis-server` on PATH
(started here on a free loopback port, nothing kept on disk)."""

from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest

from serve_process import environment, found_within, free_port, paper_line, paperfeed, serving

ARRIVAL_LIMIT_S = 45
SIGN_UPS_PER_HOUR = 10  # ratelimit.DEFAULT_RULES["sign-up"]: 10/hour per address (not a setting)
JOBS = {"PAPERFEED_JOBS_KEYWORD_SECONDS": "5", "PAPERFEED_JOBS_INDEX_SECONDS": "86400"}
WEB_NODE = ("--only", "keyword-index", "--only", "index")  # as the README's scaling section runs a web node
on_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # conftest's, without SQLite


@pytest.fixture
def redis_url(tmp_path):
    """A Redis of the test's own: redis-server on a free loopback port, its directory in tmp_path."""
    if shutil.which("redis-server") is None:
        pytest.skip("needs Debian's redis-server on PATH (apt-get install redis-server; .ci/run installs it)")
    import redis

    port = free_port()
    folder = tmp_path / "redis"
    folder.mkdir()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert process.poll() is None, f"redis-server exited {process.returncode}"
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def node_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    return a, b


def sign_up(base: str, n: int) -> httpx.Response:
    """One sign-up through the JSON API, as a script on 127.0.0.1 makes it (a session and its CSRF token first)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/sign-in")  # an HTML page sets the session cookie
        token = client.get("/sign-in.json").json()["csrf_token"]
        return client.post("/sign-up", data={"email": f"reader{n}@example.org", "password": "correct horse battery"},
                           headers={"Accept": "application/json", "X-CSRF-Token": token})


@pytest.mark.postgres
@on_postgres
def test_two_nodes_find_each_others_papers_and_count_rate_limits_together(tmp_path, database_url, redis_url):
    shared = {"PAPERFEED_DATABASE_URL": database_url, "PAPERFEED_RATE_LIMIT_STORAGE": redis_url, **JOBS}
    a, b = node_folders(tmp_path)
    with serving(a, *WEB_NODE, **shared) as (base_a, data_a), serving(b, *WEB_NODE, **shared) as (base_b, data_b):
        (tmp_path / "new.jsonl").write_text(paper_line("2611.00009", "Numbat sharding across many hosts") + "\n")
        ingested = paperfeed(environment(data_a, **shared), "ingest", "file", str(tmp_path / "new.jsonl"))
        assert ingested.returncode == 0, ingested.stderr
        ingested_at = time.monotonic()

        # Sign-ups alternating between the nodes: counted per node, the first refusal would come at 21, not 11.
        answers = [sign_up((base_a, base_b)[n % 2], n) for n in range(1, SIGN_UPS_PER_HOUR + 3)]

        found_within(base_b, "numbat", "2611.00009", ARRIVAL_LIMIT_S)
        print(f"node B found the paper ingested through node A {time.monotonic() - ingested_at:.1f} s after the ingest")
        assert (data_b / "index").is_dir() and data_b != data_a  # B searched its own index, not A's folder
    node_log = (b / "serve.log").read_text()
    assert "job keyword-index" in node_log and "job arxiv" not in node_log  # a web node runs its index jobs only

    statuses = [answer.status_code for answer in answers]
    first_refused = statuses.index(429) + 1 if 429 in statuses else None
    print(f"sign-ups alternating over two nodes: {statuses}; first 429 at attempt {first_refused}")
    assert statuses == [201] * SIGN_UPS_PER_HOUR + [429, 429]
    assert {answers[-2].url.port, answers[-1].url.port} == {httpx.URL(base_a).port, httpx.URL(base_b).port}
    assert all(0 < int(answer.headers["Retry-After"]) <= 3600 for answer in answers[-2:])
    assert "Too many sign-ups from your address" in answers[-1].text
