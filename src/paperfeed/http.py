"""The one HTTP client every source uses: user agent, timeouts, per-host politeness and retries.

Source adapters build a `Request` and parse a `Response`; only this module does network I/O.
Failures come out as one-line `SourceError`s, so the CLI and the ingest can report them as is.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Self

import httpx

from paperfeed.errors import SourceError
from paperfeed.sources.base import Request

if TYPE_CHECKING:
    from paperfeed.config import Settings

log = logging.getLogger(__name__)

ARXIV_HOSTS = ("export.arxiv.org", "oaipmh.arxiv.org", "arxiv.org")
HF_HOSTS = ("huggingface.co",)

# Worth another try: the server may recover, or the network may come back.
RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
JITTER = 0.1  # up to 10% extra per backoff, so many clients do not retry in lockstep


@dataclass(frozen=True, slots=True)
class Response:
    """A finished response, read in full. Header names are lower case."""

    status_code: int
    body: bytes
    url: str
    headers: dict[str, str]


class HttpClient:
    """GETs with a User-Agent, a minimum interval between calls to one host, and retries.

    `sleep` and `clock` are injectable so tests can check waits without waiting.
    Not meant to be shared between threads: the per-host pacing is unsynchronised.
    """

    def __init__(
        self,
        user_agent: str,
        timeout_s: float = 30,
        retries: int = 5,
        min_interval_s: Mapping[str, float] | None = None,
        default_interval_s: float = 0.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_backoff_s: float = 120,
    ) -> None:
        self.retries = retries
        self.max_backoff_s = max_backoff_s
        self._intervals = {host.lower(): s for host, s in (min_interval_s or {}).items()}
        self._default_interval_s = default_interval_s
        self._sleep = sleep
        self._clock = clock
        self._last_call_at: dict[str, float] = {}
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=timeout_s,
            follow_redirects=True,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpClient:
        """The client the sources use, paced as arXiv and Hugging Face ask."""
        intervals = dict.fromkeys(ARXIV_HOSTS, settings.arxiv_delay_s)
        intervals.update(dict.fromkeys(HF_HOSTS, settings.hf_delay_s))
        return cls(
            settings.user_agent,
            timeout_s=settings.http_timeout_s,
            retries=settings.http_retries,
            min_interval_s=intervals,
        )

    def interval_for(self, host: str) -> float:
        """Minimum seconds between two calls to `host`."""
        return self._intervals.get(host.lower(), self._default_interval_s)

    def get(self, request: Request, *, accept_status: Collection[int] = ()) -> Response:
        """GET `request`, retrying on 429, 5xx and network errors; raise SourceError on failure.

        A status in `accept_status` is returned as is, never retried nor raised: for APIs
        that explain errors in the body (the arXiv API answers HTTP 400 with an Atom feed).
        """
        url = _full_url(request)
        failure = ""
        cause: Exception | None = None
        for attempt in range(self.retries + 1):
            self._wait_turn(url.host)
            try:
                raw = self._client.get(url)
            except RETRY_ERRORS as exc:
                if _unknown_host(exc):  # offline, or a typo in the URL: asking again soon answers the same
                    raise SourceError(f"GET {url}: {url.host} cannot be resolved, so the source is unreachable "
                                      f"(offline, or no DNS?): {_describe_error(exc)}") from exc
                failure, cause = _describe_error(exc), exc
                delay = self._backoff_s(attempt)
            except httpx.HTTPError as exc:  # unsupported scheme, redirect loop: retrying won't help
                raise SourceError(f"GET {url}: {_describe_error(exc)}") from exc
            else:
                status = raw.status_code
                if status < 400 or status in accept_status:
                    return _to_response(raw)
                failure, cause = _describe_status(raw), None
                if status not in RETRY_STATUSES:
                    raise SourceError(f"GET {url}: {failure}")
                asked = parse_retry_after(raw.headers.get("retry-after", ""), datetime.now(UTC))
                if asked is not None and asked > self.max_backoff_s:
                    # Retrying sooner than asked would be rude, and waiting that long is useless.
                    raise SourceError(
                        f"GET {url}: {failure}; server asks to retry in {asked:.0f} s"
                    )
                delay = asked if asked is not None else self._backoff_s(attempt)
            if attempt == self.retries:
                break
            log.warning(
                "GET %s: %s; retry %d/%d in %.1f s", url, failure, attempt + 1, self.retries, delay
            )
            self._sleep(delay)
        attempts = self.retries + 1
        raise SourceError(f"GET {url}: {failure} (gave up after {attempts} attempts)") from cause

    def is_reachable(self, url: str, timeout_s: float = 3.0) -> bool:
        """True if `url`'s server gives any HTTP answer to one quick HEAD (no retries)."""
        try:
            target = httpx.URL(url)
            self._wait_turn(target.host)
            self._client.head(target, timeout=timeout_s, follow_redirects=False)
        except (httpx.HTTPError, httpx.InvalidURL):
            return False
        return True

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _wait_turn(self, host: str) -> None:
        """Sleep until `host`'s minimum interval since our last call to it has passed."""
        host = host.lower()
        last = self._last_call_at.get(host)
        if last is not None:
            wait = last + self.interval_for(host) - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_call_at[host] = self._clock()

    def _backoff_s(self, attempt: int) -> float:
        """1, 2, 4, ... seconds plus a little jitter, capped at max_backoff_s."""
        return min(2.0**attempt * (1 + JITTER * random.random()), self.max_backoff_s)


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _full_url(request: Request) -> httpx.URL:
    try:
        return httpx.URL(request.url).copy_merge_params(request.params)
    except httpx.InvalidURL as exc:
        raise SourceError(f"GET {request.url}: invalid URL ({exc})") from exc


def _to_response(raw: httpx.Response) -> Response:
    return Response(raw.status_code, raw.content, str(raw.url), dict(raw.headers))


def _describe_status(raw: httpx.Response) -> str:
    reason = raw.reason_phrase
    if not reason:
        try:
            reason = HTTPStatus(raw.status_code).phrase
        except ValueError:
            reason = ""
    return f"HTTP {raw.status_code} {reason}".rstrip()


def _unknown_host(exc: BaseException) -> bool:
    """Did name resolution say the host does not exist (EAI_NONAME), rather than fail for now (EAI_AGAIN)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return seen.errno == socket.EAI_NONAME
        seen = seen.__cause__ or seen.__context__
    return False


def _describe_error(exc: httpx.HTTPError) -> str:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        kind = "timed out"
    elif isinstance(exc, RETRY_ERRORS):
        kind = "connection failed"
    else:
        kind = "request failed"
    return f"{kind} ({detail})"
