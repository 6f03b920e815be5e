"""/healthz and /readyz as probes see them: liveness touches nothing, readiness names what fails (a
database that refuses, one that never answers, an index that will not open) and counts a fresh
instance without an index as ready. The three ops endpoints need no session, set no cookie, skip the
rate limits and the CSRF check, and stay out of /openapi.json."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.api_tokens import create_token
from paperfeed.db.engine import make_engine
from paperfeed.db.users import create_user
from paperfeed.search import update_index
from paperfeed.web.health import NOT_BUILT, READY_TIMEOUT_S
from paperfeed.web.middleware import OPS_ENDPOINTS
from web_client import build_app, sqlite_engine

LOOPBACK = ("127.0.0.1", 40000)


@pytest.fixture
def engine(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        yield engine


def client(app, **options) -> TestClient:
    return TestClient(app, client=LOOPBACK, **options)


def test_a_fresh_instance_without_an_index_is_ready_and_says_so(engine, tmp_path):
    with client(build_app(engine, tmp_path)) as visitor:
        assert visitor.get("/healthz").json() == {"status": "ok"}
        ready = visitor.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "keyword_index": NOT_BUILT}}


def test_an_instance_with_its_index_is_ready(engine, tmp_path):
    store_paper(engine, 1)
    update_index(Settings(_env_file=None, data_dir=tmp_path, database_url=str(engine.url)), engine, semantic=False)
    with client(build_app(engine, tmp_path)) as visitor:  # the app finds the index on disk, as serve does
        ready = visitor.get("/readyz")
    assert (ready.status_code, ready.json()["checks"]) == (200, {"database": "ok", "keyword_index": "ok"})


def test_an_index_that_will_not_open_makes_the_node_unready(engine, tmp_path):
    meta = tmp_path / "index" / "keyword" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text("not an index")
    with client(build_app(engine, tmp_path)) as visitor:
        ready = visitor.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["failing"] == ["keyword_index"]


def test_a_database_that_refuses_fails_readiness_while_liveness_answers(tmp_path):
    """An SQLite file in a folder that does not exist cannot be opened; /healthz never asks it."""
    unreachable = make_engine(f"sqlite:///{tmp_path / 'db'}/paperfeed.db")
    (tmp_path / "db").rmdir()  # make_engine made the folder; take it away again
    with client(build_app(unreachable, tmp_path)) as visitor:
        assert visitor.get("/healthz").status_code == 200
        ready = visitor.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["failing"] == ["database"]
    assert body["checks"]["database"] == "unreachable"
    assert str(tmp_path) not in ready.text  # where the database lives stays in the server's log


@contextmanager
def silent_server():
    """A TCP port on loopback that accepts connections and never says a word (a hung database)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in accepted:  # the abandoned check's connection attempt ends with these
            connection.close()
        listener.close()


def test_a_database_that_never_answers_is_abandoned_after_the_timeout(tmp_path):
    with silent_server() as port:
        hung = make_engine(f"postgresql+psycopg://paperfeed:secret@127.0.0.1:{port}/paperfeed")
        with client(build_app(hung, tmp_path)) as visitor:
            ready = visitor.get("/readyz")
        hung.dispose()
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"] == f"no answer within {READY_TIMEOUT_S:g} s"
    assert "secret" not in ready.text


def test_ops_endpoints_skip_sessions_csrf_and_rate_limits(engine, tmp_path):
    """With one API request a minute allowed, a script's token still gets every probe answered (the
    limit is real: its second API call is refused), no cookie is set, and a POST is a 405, not a CSRF 403."""
    with engine.begin() as conn:
        _, token = create_token(conn, create_user(conn, "ops@example.org", "ops"), "monitoring")
    app = build_app(engine, tmp_path, rules={"api-request": {"account": "1/minute"}})
    bearer = {"Authorization": f"Bearer {token}"}
    with client(app) as visitor:
        for path in OPS_ENDPOINTS:
            for _ in range(3):
                answer = visitor.get(path, headers=bearer)
                assert answer.status_code == 200, (path, answer.text)
                assert "set-cookie" not in answer.headers
            assert visitor.post(path).status_code == 405
        assert visitor.get("/api/daily_papers", headers=bearer).status_code == 200
        assert visitor.get("/api/daily_papers", headers=bearer).status_code == 429


def test_ops_endpoints_are_not_in_the_api_schema(engine, tmp_path):
    with client(build_app(engine, tmp_path)) as visitor:
        paths = visitor.get("/openapi.json").json()["paths"]
    assert paths  # the schema itself is there
    assert not set(OPS_ENDPOINTS) & set(paths)
