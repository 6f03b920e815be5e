"""Every answer of the site limits what a browser lets a page do: pages, JSON, errors, static files."""

from __future__ import annotations

import pytest

from factories import store_paper
from paperfeed.web.middleware import HEADERS
from web_client import build_app, sqlite_engine, visit


@pytest.fixture
def client(tmp_path):
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        store_paper(engine, arxiv_id="1706.03762")
        yield visitor.client


@pytest.mark.parametrize("path", ["/", "/papers/1706.03762", "/papers/1706.03762.json", "/api/daily_papers",
                                  "/papers/no-such-paper", "/static/app.js", "/feeds/daily.rss", "/docs"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in HEADERS.items():
        assert response.headers[name] == value, (path, name)


def test_the_session_middlewares_own_refusals_carry_them_too(client):
    """The session middleware answers a bad API token itself, before any route: inside the headers."""
    response = client.get("/trending.json", headers={"Authorization": "Bearer pf_not-a-token"})
    assert response.status_code == 401
    for name, value in HEADERS.items():
        assert response.headers[name] == value, name


def test_the_policy_allows_no_inline_script_and_no_framing():
    policy = HEADERS["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy


def test_no_template_has_inline_script():
    from paperfeed.web.render import TEMPLATES_DIR

    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text()
        assert text.count("<script") == text.count("<script src="), template.name
