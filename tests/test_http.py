"""HttpClient against a real loopback server: user agent, retries, backoff, pacing, errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from paperfeed.config import Settings
from paperfeed.errors import SourceError
from paperfeed.http import HttpClient, parse_retry_after
from paperfeed.sources.base import Request
from replay_server import ReplayServer, Reply, closed_port_url

UA = "paperfeed-tests/1.0 (+https://example.org)"


class FakeTime:
    """A clock that only moves when slept on, recording every sleep."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_client(fake: FakeTime | None = None, **overrides) -> HttpClient:
    fake = fake or FakeTime()
    options = {"retries": 3, "timeout_s": 2.0, "sleep": fake.sleep, "clock": fake.clock}
    return HttpClient(UA, **(options | overrides))


def test_sends_user_agent_and_params_and_returns_the_body():
    routes = {"/api/query": Reply(200, b"<feed/>", {"Content-Type": "application/atom+xml"})}
    with ReplayServer(routes) as server, make_client() as client:
        response = client.get(Request(f"{server.url}/api/query", (("search_query", "cat:cs.AI"),)))
    assert (response.status_code, response.body) == (200, b"<feed/>")
    assert response.headers["content-type"] == "application/atom+xml"
    [received] = server.requests
    assert received.user_agent == UA
    assert received.query == {"search_query": "cat:cs.AI"}


def test_follows_redirects():
    routes = {"/old": Reply(301, headers={"Location": "/new"}), "/new": Reply(200, b"moved")}
    with ReplayServer(routes) as server, make_client() as client:
        response = client.get(Request(f"{server.url}/old"))
    assert response.body == b"moved"
    assert response.url == f"{server.url}/new"


def test_503_with_retry_after_waits_as_asked_then_succeeds(caplog):
    fake = FakeTime()
    replies = [Reply(503, headers={"Retry-After": "2"}), Reply(200, b"ok")]
    with (
        ReplayServer(replies) as server,
        make_client(fake) as client,
        caplog.at_level(logging.WARNING, logger="paperfeed.http"),
    ):
        response = client.get(Request(f"{server.url}/oai"))
    assert response.body == b"ok"
    assert len(server.requests) == 2
    assert fake.sleeps == [pytest.approx(2.0)]
    assert "HTTP 503 Service Unavailable; retry 1/3 in 2.0 s" in caplog.text


def test_retry_after_as_http_date_is_honoured():
    fake = FakeTime()
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    replies = [Reply(503, headers={"Retry-After": later}), Reply(200, b"ok")]
    with ReplayServer(replies) as server, make_client(fake) as client:
        client.get(Request(f"{server.url}/oai"))
    assert fake.sleeps == [pytest.approx(30, abs=2)]


def test_retry_after_beyond_max_backoff_gives_up_instead_of_retrying_early():
    fake = FakeTime()
    replies = [Reply(503, headers={"Retry-After": "3600"}), Reply(200)]
    with (
        ReplayServer(replies) as server,
        make_client(fake, max_backoff_s=60) as client,
        pytest.raises(SourceError, match="server asks to retry in 3600 s"),
    ):
        client.get(Request(f"{server.url}/oai"))
    assert len(server.requests) == 1
    assert fake.sleeps == []


def test_429_without_retry_after_backs_off_exponentially():
    fake = FakeTime()
    replies = [Reply(429)] * 3 + [Reply(200, b"ok")]
    with ReplayServer(replies) as server, make_client(fake) as client:
        assert client.get(Request(f"{server.url}/x")).body == b"ok"
    assert len(fake.sleeps) == 3
    for slept, base in zip(fake.sleeps, [1, 2, 4], strict=True):
        assert base <= slept <= base * 1.1  # a little jitter on top


def test_backoff_is_capped_at_max_backoff():
    fake = FakeTime()
    replies = [Reply(429)] * 3 + [Reply(200)]
    with ReplayServer(replies) as server, make_client(fake, max_backoff_s=1.5) as client:
        client.get(Request(f"{server.url}/x"))
    assert fake.sleeps[1:] == [1.5, 1.5]


def test_persistent_500_raises_one_line_error_after_all_attempts():
    with (
        ReplayServer([Reply(500)]) as server,
        make_client(retries=2) as client,
        pytest.raises(SourceError) as raised,
    ):
        client.get(Request(f"{server.url}/broken", (("a", "1"),)))
    assert len(server.requests) == 3
    message = str(raised.value)
    assert message == (
        f"GET {server.url}/broken?a=1: HTTP 500 Internal Server Error (gave up after 3 attempts)"
    )
    assert "\n" not in message


def test_404_raises_at_once_without_retrying():
    fake = FakeTime()
    with (
        ReplayServer({"/other": Reply(200)}) as server,
        make_client(fake) as client,
        pytest.raises(SourceError, match=r"^GET .*/missing: HTTP 404 Not Found$"),
    ):
        client.get(Request(f"{server.url}/missing"))
    assert len(server.requests) == 1
    assert fake.sleeps == []


def test_accepted_4xx_status_returns_the_body():
    error_feed = b"<feed><entry><summary>bad query</summary></entry></feed>"
    with ReplayServer([Reply(400, error_feed)]) as server, make_client() as client:
        response = client.get(Request(f"{server.url}/api/query"), accept_status={400})
    assert (response.status_code, response.body) == (400, error_feed)
    assert len(server.requests) == 1


def test_connection_refused_raises_after_retries():
    fake = FakeTime()
    with make_client(fake, retries=2) as client, pytest.raises(SourceError) as raised:
        client.get(Request(f"{closed_port_url()}/x"))
    assert "connection failed (" in str(raised.value)
    assert "gave up after 3 attempts" in str(raised.value)
    assert len(fake.sleeps) == 2


def test_a_host_that_does_not_resolve_is_reported_unreachable_at_once():
    fake = FakeTime()
    with make_client(fake, retries=3) as client, pytest.raises(SourceError) as raised:
        client.get(Request("http://paperfeed-test.invalid/x"))  # .invalid never resolves (RFC 6761)
    assert "paperfeed-test.invalid cannot be resolved, so the source is unreachable" in str(raised.value)
    assert fake.sleeps == []  # not retried: offline, asking again in a second answers the same


def test_read_timeout_is_retried_then_reported():
    replies = [Reply(200, b"late", delay_s=0.5), Reply(200, b"ok")]
    with ReplayServer(replies) as server, make_client(timeout_s=0.1) as client:
        assert client.get(Request(f"{server.url}/slow")).body == b"ok"
    with (
        ReplayServer([Reply(200, delay_s=0.5)]) as server,
        make_client(timeout_s=0.1, retries=0) as client,
        pytest.raises(SourceError, match="timed out"),
    ):
        client.get(Request(f"{server.url}/slow"))


def test_consecutive_calls_to_one_host_are_spaced_by_its_interval():
    fake = FakeTime()
    with ReplayServer([Reply(200)]) as server:
        port = server.url.rsplit(":", 1)[1]
        paced = make_client(fake, min_interval_s={"127.0.0.1": 3.0})
        with paced as client:
            client.get(Request(f"http://127.0.0.1:{port}/a"))
            client.get(Request(f"http://127.0.0.1:{port}/b"))
            assert fake.sleeps == [3.0]
            fake.now += 1.0  # time spent elsewhere counts towards the interval
            client.get(Request(f"http://127.0.0.1:{port}/c"))
            assert fake.sleeps == [3.0, 2.0]
            client.get(Request(f"http://localhost:{port}/d"))  # another host: no wait
            assert fake.sleeps == [3.0, 2.0]
    assert len(server.requests) == 4


def test_default_interval_applies_to_unlisted_hosts():
    fake = FakeTime()
    with ReplayServer([Reply(200)]) as server, make_client(fake, default_interval_s=0.5) as client:
        client.get(Request(f"{server.url}/a"))
        client.get(Request(f"{server.url}/b"))
    assert fake.sleeps == [0.5]


def test_from_settings_paces_arxiv_and_hugging_face():
    settings = Settings(arxiv_delay_s=3.0, hf_delay_s=1.5, _env_file=None)
    hosts = ["export.arxiv.org", "oaipmh.arxiv.org", "arxiv.org", "huggingface.co", "example.org"]
    with HttpClient.from_settings(settings) as client:
        intervals = [client.interval_for(host) for host in hosts]
    assert intervals == [3.0, 3.0, 3.0, 1.5, 0.0]


def test_is_reachable():
    with ReplayServer({"/": Reply(200)}) as server, make_client() as client:
        assert client.is_reachable(f"{server.url}/no-such-page")  # a 404 is still an answer
        assert server.requests[0].method == "HEAD"
        assert not client.is_reachable(closed_port_url(), timeout_s=0.5)
        assert not client.is_reachable("not a url")


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("2", 2.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:59:00 GMT", 0.0),  # already past: go now
        ("", None),
        ("-5", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, NOW) == seconds


def test_replay_server_picks_the_most_specific_route_and_404s_the_rest():
    routes = {
        "/oai": Reply(200, b"any verb"),
        "/oai?verb=Identify": [Reply(200, b"first"), Reply(200, b"then")],
    }
    with ReplayServer(routes) as server, make_client() as client:
        bodies = [
            client.get(Request(f"{server.url}/oai", (("verb", verb),))).body
            for verb in ["Identify", "ListRecords", "Identify", "Identify"]
        ]
        missing = client.get(Request(f"{server.url}/nope"), accept_status={404})
    assert bodies == [b"first", b"any verb", b"then", b"then"]
    assert missing.status_code == 404
    assert [r.query.get("verb") for r in server.requests][:2] == ["Identify", "ListRecords"]
