"""Web test helpers: the real app on a test database, a browser-like visitor that keeps its
session cookie and sends the page's CSRF token, and a real uvicorn server on loopback.

    @pytest.fixture
    def visitor(engine, tmp_path):
        with visit(build_app(engine, tmp_path)) as visitor:
            yield visitor
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import uvicorn
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.web.accounts import Accounts
from paperfeed.web.app import create_app
from paperfeed.web.ratelimit import RateLimiter

# Hashing with the production parameters takes ~0.3 s; these keep the tests fast.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SECRET = "test-secret-key-" + "x" * 32
PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def build_app(engine: sa.Engine, tmp_path, *, rules=None, search=None, **settings):
    """The real app on `engine`; `rules` replaces the default rate limits, `search` is a SearchService
    (see `indexed_search`; without one the site runs as before `paperfeed index`)."""
    values = {"data_dir": tmp_path, "secret_key": SECRET, "http_retries": 0, **settings}
    app = create_app(Settings(_env_file=None, **values), engine=engine, search=search)
    app.state.accounts = Accounts(engine, FAST_HASHER)
    if rules is not None:
        app.state.rate_limiter = RateLimiter(rules)
    return app


class Visitor:
    """A TestClient that behaves like a browser on the site's forms."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def token(self) -> str:
        """The CSRF token a page of the site would put in its forms."""
        return _TOKEN.search(self.client.get("/sign-in").text).group(1)

    def post_form(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, follow_redirects=False,
                                **kwargs)

    def sign_up(self, email: str = "ada@example.org", password: str = PASSWORD, username: str = ""):
        response = self.post_form("/sign-up", {"email": email, "password": password, "username": username})
        assert response.status_code == 303, response.text
        return response

    def sign_in(self, email: str = "ada@example.org", password: str = PASSWORD):
        return self.post_form("/sign-in", {"email": email, "password": password})

    def whoami(self) -> dict | None:
        return self.client.get("/sign-in.json").json()["user"]

    def api(self, method: str, url: str, **kwargs):
        """A script's call: JSON, with the session's token in the X-CSRF-Token header."""
        headers = {"Accept": "application/json", "X-CSRF-Token": self.token(), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)


@contextmanager
def sqlite_engine(tmp_path) -> Iterator[sa.Engine]:
    """A migrated SQLite engine, for tests where the database makes no difference."""
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def visit(app, **client_options) -> Iterator[Visitor]:
    """A visitor on `app`, running its lifespan. Test modules wrap it in their own fixture."""
    with TestClient(app, **client_options) as client:
        yield Visitor(client)


@contextmanager
def serve(app, **config) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def indexed_search(engine: sa.Engine, settings: Settings):
    """Index what `engine` holds (tantivy + the real MiniLM) and open a SearchService on it."""
    from paperfeed.search.maintenance import update_index
    from paperfeed.search.service import SearchService

    update_index(settings, engine)
    return SearchService.open(settings, engine)
