"""The web app's Prometheus metrics (prometheus-client), served at /metrics, and who may read them.

Two kinds, counted two ways:
- What the workers do: requests by method, route template and status, their latency, and the latency
  of each search leg (keyword, semantic, fusion). Under `paperfeed serve` every worker writes these to
  files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode; serve sets it, see
  workers.py), and a scrape answered by any worker adds up all of them.
- What the instance holds: papers per source, the keyword index's lag behind the store, digests by
  status, the scheduled jobs' runs, failures and last durations. Read from the store and the index at
  scrape time (InstanceCollector) by the worker that answers, so they are one number however many workers there are.

Labels stay bounded: a route is its template (`/papers/{key:path}`, never the key), a path no route
matches is one label, a method outside the standard ones is `other`. Metric objects belong to one
app (no global registry), so tests can build many apps in one process.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from paperfeed import __version__
from paperfeed.db.digests import count_by_status
from paperfeed.db.jobs import job_states
from paperfeed.db.stats import newest_change_at, papers_by_source
from paperfeed.search import IndexPaths, keyword_synced_at
from paperfeed.web.errors import json_error
from paperfeed.web.sessions import bearer_token
from paperfeed.web.workers import METRICS_FOLDER_VARIABLE

log = logging.getLogger(__name__)

UNMATCHED = "unmatched"  # the one route label of every path no route matches (404s, scanners)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Pages answer in a few milliseconds; a cold semantic query can take a second or more.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Counting papers by source reads every row (~220 ms at 195K papers on SQLite); a scrape every 15 s
# would spend a share of a core on it, so the count is reused for a minute.
SOURCE_COUNTS_TTL_S = 60.0


class Metrics:
    """The app's metrics: `count_request`, `time_request` and `observe_search_leg` record,
    `exposition` renders."""

    def __init__(self, engine: sa.Engine, index_paths: IndexPaths, *,
                 source_counts_ttl_s: float = SOURCE_COUNTS_TTL_S) -> None:
        # prometheus-client reads the variable itself, when it is imported; serve sets it before that.
        self.multiprocess_dir = os.environ.get(METRICS_FOLDER_VARIABLE)
        self._registry = CollectorRegistry()
        # In multiprocess mode values live in the files, and each scrape reads them afresh.
        home = None if self.multiprocess_dir else self._registry
        self._requests = Counter(
            "paperfeed_http_requests", "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"), registry=home,
        )
        self._request_seconds = Histogram(
            "paperfeed_http_request_duration_seconds", "Time from a request's arrival to its answer's end, "
            "by method and route template (waiting for a free request slot included).",
            ("method", "route"), buckets=LATENCY_BUCKETS, registry=home,
        )
        self._search_leg_seconds = Histogram(
            "paperfeed_search_leg_duration_seconds", "Time one leg of a search took: keyword (BM25), semantic "
            "(query embedding and nearest neighbours) or fusion.", ("leg",), buckets=LATENCY_BUCKETS, registry=home,
        )
        self.instance = InstanceCollector(engine, index_paths, source_counts_ttl_s=source_counts_ttl_s)
        if not self.multiprocess_dir:
            self._registry.register(self.instance)

    def count_request(self, method: str, route: str, status: int) -> None:
        self._requests.labels(_method_label(method), route, str(status)).inc()

    def time_request(self, method: str, route: str, seconds: float) -> None:
        self._request_seconds.labels(_method_label(method), route).observe(seconds)

    def observe_search_leg(self, leg: str, seconds: float) -> None:
        self._search_leg_seconds.labels(leg).observe(seconds)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric: all workers' counts, this instance's state."""
        if not self.multiprocess_dir:
            return generate_latest(self._registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)
        registry.register(self.instance)
        return generate_latest(registry)


def _method_label(method: str) -> str:
    return method if method in METHODS else "other"


class InstanceCollector:
    """Gauges read at scrape time from the store and this node's search index. When the database does
    not answer, `paperfeed_database_up` is 0 and the store's gauges are left out (the scrape still works).

    More families join as one more method yielding them."""

    def __init__(self, engine: sa.Engine, index_paths: IndexPaths, *, source_counts_ttl_s: float) -> None:
        self._engine = engine
        self._index_paths = index_paths
        self._ttl_s = source_counts_ttl_s
        self._source_counts: tuple[float, dict[str, int]] | None = None

    def describe(self) -> list[Metric]:
        return []  # names are not checked for duplicates; registering must not query the store

    def collect(self) -> Iterator[Metric]:
        build = GaugeMetricFamily("paperfeed_build_info", "The running paperfeed's version.", labels=("version",))
        build.add_metric((__version__,), 1)
        yield build
        try:
            with self._engine.connect() as conn:
                families = [*self._papers(conn), *self._index_lag(conn), *self._digests(conn), *self._jobs(conn)]
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", str(exc).splitlines()[0])
            families = []
            up = 0
        else:
            up = 1
        yield GaugeMetricFamily("paperfeed_database_up", "1 when the database answered this scrape's reads.", up)
        yield from families

    def _papers(self, conn: sa.Connection) -> Iterator[Metric]:
        now = time.monotonic()
        if self._source_counts is None or now - self._source_counts[0] >= self._ttl_s:
            self._source_counts = (now, papers_by_source(conn))
        family = GaugeMetricFamily("paperfeed_papers", "Papers in the store by the source that brought them "
                                   "(a paper two sources brought counts in both).", labels=("source",))
        for source, count in sorted(self._source_counts[1].items()):
            family.add_metric((source,), count)
        yield family

    def _index_lag(self, conn: sa.Connection) -> Iterator[Metric]:
        synced_at = keyword_synced_at(self._index_paths)
        if synced_at is None:  # no keyword index yet (see /readyz): no lag to report
            return
        lag = index_lag_seconds(newest_change_at(conn), synced_at)
        yield GaugeMetricFamily("paperfeed_keyword_index_lag_seconds", "How far this node's keyword index is "
                                "behind the store: newest paper change minus the newest change indexed.", lag)

    def _digests(self, conn: sa.Connection) -> Iterator[Metric]:
        family = GaugeMetricFamily("paperfeed_digests", "Digests in the store by status (sent, failed, pending, "
                                   "empty, cancelled, expired).", labels=("status",))
        for status, count in sorted(count_by_status(conn).items()):
            family.add_metric((status,), count)
        yield family


    def _jobs(self, conn: sa.Connection) -> Iterator[Metric]:
        """The scheduled jobs' runs and failures as the store keeps them (all runners of the instance)."""
        runs = CounterMetricFamily("paperfeed_job_runs", "Runs of each scheduled job (per node for per-node jobs).",
                                   labels=("job",))
        failures = CounterMetricFamily("paperfeed_job_failures", "Failed runs of each scheduled job.", labels=("job",))
        seconds = GaugeMetricFamily("paperfeed_job_last_duration_seconds", "How long each job's last run took.",
                                    labels=("job",))
        for name, state in sorted(job_states(conn).items()):
            runs.add_metric((name,), state.runs)
            failures.add_metric((name,), state.failures)
            if state.duration_s is not None:
                seconds.add_metric((name,), state.duration_s)
        yield from (runs, failures, seconds)


def index_lag_seconds(newest_change_at: datetime | None, synced_at: datetime) -> float:
    """Seconds between the store's newest change and the newest one indexed; 0 when caught up or empty."""
    if newest_change_at is None:
        return 0.0
    return max(0.0, (newest_change_at - synced_at).total_seconds())


async def serve_metrics(scope: Scope, receive: Receive, send: Send) -> None:
    """GET /metrics: the exposition, to a client may_read_metrics lets in."""
    state = scope["app"].state
    token = state.settings.metrics_token
    if may_read_metrics(scope, token):
        response = Response(await run_in_threadpool(state.metrics.exposition), media_type=CONTENT_TYPE_LATEST)
    elif token is not None:
        response = json_error(401, "metrics need `Authorization: Bearer <PAPERFEED_METRICS_TOKEN>`",
                              headers={"WWW-Authenticate": "Bearer"})
    else:
        response = json_error(403, "metrics are served to this machine only (loopback); set "
                              "PAPERFEED_METRICS_TOKEN to scrape them from elsewhere")
    await response(scope, receive, send)


def may_read_metrics(scope: Scope, token: SecretStr | None) -> bool:
    """/metrics answers a client on this machine (loopback), or anyone with the metrics token."""
    if is_loopback(scope.get("client")):
        return True
    expected = token.get_secret_value() if token is not None else ""
    given = bearer_token(scope)
    return bool(expected) and given is not None and hmac.compare_digest(given.encode(), expected.encode())


def is_loopback(client: tuple[str, int] | None) -> bool:
    """Is the peer on this machine? (As uvicorn reports it: behind a trusted proxy, the forwarded address.)"""
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)
