"""A real HTTP server on loopback that replays canned responses and records what it was asked.

Tests point paperfeed at `server.url` instead of a remote source, so the real HTTP client, sockets
and all, is exercised without the network.

    from replay_server import Reply, ReplayServer

    # Routes: keyed by path, optionally with query parameters that must match.
    routes = {
        "/api/query": Reply(200, feed_bytes, {"Content-Type": "application/atom+xml"}),
        "/oai?verb=ListRecords": [Reply(503, headers={"Retry-After": "2"}), Reply(200, page)],
    }
    with ReplayServer(routes) as server:
        ...  # GET f"{server.url}/api/query?search_query=cat:cs.AI"
        assert server.requests[0].query["search_query"] == "cat:cs.AI"

    # Or a sequence, served in order whatever the path:
    with ReplayServer([Reply(429), Reply(200, b"ok")]) as server: ...

A list of replies is served in order and its last reply repeats once the list runs out.
A route key's query parameters must all be present with those values; when several routes
match, the one naming the most parameters wins. A request no route matches gets a 404.
HEAD gets a GET's status and headers without the body.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Reply:
    """One canned response; `delay_s` holds it back, to test client timeouts."""

    status: int = 200
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class Received:
    """One request as the server saw it. Header names are lower case; `received_at` is monotonic."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    received_at: float

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")


Replies = Reply | Sequence[Reply]


class ReplayServer:
    """Serve `replies` (routes keyed by "path[?query]", or one sequence) on 127.0.0.1, port 0."""

    def __init__(self, replies: Mapping[str, Replies] | Sequence[Reply]) -> None:
        if isinstance(replies, Mapping):
            self._routes = [_Route.parse(key, value) for key, value in replies.items()]
        else:
            self._routes = [_Route("/", {}, list(replies), match_any_path=True)]
        self._requests: list[Received] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. http://127.0.0.1:54321 (kept after stop)."""
        if self._url is None:
            raise RuntimeError("ReplayServer was never started; use it as a context manager")
        return self._url

    @property
    def requests(self) -> list[Received]:
        """Requests received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.replay = self  # type: ignore[attr-defined]  # how handlers find us
        host, port = self._httpd.server_address[:2]
        self._url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, received: Received) -> Reply:
        with self._lock:
            self._requests.append(received)
            matches = [r for r in self._routes if r.matches(received.path, received.query)]
            if not matches:
                return Reply(404, f"replay_server: no route for {received.path}")
            return max(matches, key=lambda r: len(r.query)).next_reply()


@dataclass
class _Route:
    path: str
    query: dict[str, str]
    replies: list[Reply]
    match_any_path: bool = False
    served: int = 0

    @classmethod
    def parse(cls, key: str, value: Replies) -> _Route:
        parts = urlsplit(key)
        replies = [value] if isinstance(value, Reply) else list(value)
        return cls(parts.path or "/", dict(parse_qsl(parts.query)), replies)

    def matches(self, path: str, query: Mapping[str, str]) -> bool:
        if not self.match_any_path and path != self.path:
            return False
        return all(query.get(name) == value for name, value in self.query.items())

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def _reply(self, send_body: bool) -> None:
        parts = urlsplit(self.path)
        received = Received(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            received_at=time.monotonic(),
        )
        reply = self.server.replay._answer(received)  # type: ignore[attr-defined]
        if reply.delay_s:
            time.sleep(reply.delay_s)
        body = reply.body_bytes
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing left to tell it

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet; the requests are recorded instead


def closed_port_url() -> str:
    """A loopback URL nothing listens on, for connection-refused tests."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
