"""Logs an operator can ship: one line per request (method, path, status, duration, request id) in text
or JSON, no token, password or cookie in any of them, a failing request logged once with its status,
and the CLI's own logs in the same format."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from paperfeed.logs import REDACTED, configure_logging, loggable_target, redact_query
from paperfeed.web.middleware import REQUEST_ID_HEADER
from paperfeed.web.sessions import COOKIE_NAME
from serve_process import environment, paperfeed
from web_client import build_app, sqlite_engine

SECRETS = {"query": "query-token-s3cr3t", "password": "hunter2-password", "bearer": "pf_bearer-s3cr3t",
           "cookie": "cookie-s3cr3t", "api_key": "api-key-s3cr3t"}
REQUEST_LINE = re.compile(r"(GET|POST) (\S+) (\d{3}|-) [\d.]+ ms request_id=(\S+)")


@pytest.fixture
def logging_restored():
    """configure_logging changes the process's root logger: put it back after the test."""
    root, ours = logging.getLogger(), logging.getLogger("paperfeed")
    handlers, root_level, our_level = root.handlers[:], root.level, ours.level
    yield
    root.handlers[:] = handlers
    root.setLevel(root_level)
    ours.setLevel(our_level)


@pytest.fixture
def app(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        app = build_app(engine, tmp_path)

        def boom() -> None:
            raise RuntimeError("a bug in a route")

        app.add_api_route("/boom", boom)
        yield app


def request_lines(captured: str, log_format: str) -> list[dict]:
    """The request log's lines in `captured` stderr, as dicts of method, path, status, request_id."""
    found = []
    for line in captured.splitlines():
        if log_format == "json":
            record = json.loads(line)  # every line is one JSON object
            if record["logger"] == "paperfeed.web.middleware":
                found.append(record)
        elif "paperfeed.web.middleware:" in line and (match := REQUEST_LINE.search(line)):
            method, path, status, request_id = match.groups()
            found.append({"method": method, "path": path, "status": None if status == "-" else int(status),
                          "request_id": request_id})
    return found


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_request_line_carries_no_secret(app, capsys, logging_restored, log_format):
    configure_logging(log_format, levels={"paperfeed": logging.INFO})
    with TestClient(app, cookies={COOKIE_NAME: SECRETS["cookie"]}) as visitor:
        visitor.get("/subscriptions/confirm", params={"token": SECRETS["query"], "from": "mail"})
        visitor.get("/unsubscribe", params={"TOKEN": SECRETS["query"], "password": SECRETS["password"],
                                            "api_key": SECRETS["api_key"]},
                    headers={"Authorization": f"Bearer {SECRETS['bearer']}", "X-Api-Key": SECRETS["api_key"]})
    captured = capsys.readouterr().err
    for name, secret in SECRETS.items():
        assert secret not in captured, f"the {name} secret was logged"
    confirm, unsubscribe = request_lines(captured, log_format)
    assert confirm["path"] == f"/subscriptions/confirm?token={REDACTED}&from=mail"
    assert confirm["method"] == "GET" and confirm["status"] == 400
    assert unsubscribe["path"] == f"/unsubscribe?TOKEN={REDACTED}&password={REDACTED}&api_key={REDACTED}"
    assert unsubscribe["status"] == 401  # refused by the session middleware: an unknown API token
    if log_format == "json":
        assert confirm["duration_ms"] >= 0 and confirm["level"] == "INFO"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_failing_request_is_logged_once_with_its_status(app, capsys, logging_restored, log_format):
    configure_logging(log_format, levels={"paperfeed": logging.INFO})
    with TestClient(app, raise_server_exceptions=False) as visitor:
        assert visitor.get("/boom").status_code == 500
    lines = request_lines(capsys.readouterr().err, log_format)  # the traceback's record is one JSON line too
    assert [(line["path"], line["status"]) for line in lines] == [("/boom", 500)]


@pytest.mark.parametrize(("given", "kept"), [
    ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
    ("trace:abc.123_x", True),
    ("two words", False),
    ("forged\nINFO fake line", False),
    ("x" * 129, False),
    ("", False),
])
def test_a_sane_request_id_is_kept_and_echoed_any_other_is_replaced(app, capsys, logging_restored, given, kept):
    configure_logging("json", levels={"paperfeed": logging.INFO})
    with TestClient(app) as visitor:
        answer = visitor.get("/sign-in", headers={REQUEST_ID_HEADER: given} if given else {})
    echoed = answer.headers[REQUEST_ID_HEADER]
    [line] = request_lines(capsys.readouterr().err, "json")
    assert line["request_id"] == echoed
    if kept:
        assert echoed == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", echoed)


@pytest.mark.parametrize(("query", "logged"), [
    ("q=attention&page=2", "q=attention&page=2"),
    ("token=abc", f"token={REDACTED}"),
    ("access_token=a&refresh%5Ftoken=b&x=1", f"access_token={REDACTED}&refresh%5Ftoken={REDACTED}&x=1"),
    ("API_KEY=k&Secret=s&passwd=p&sig=x", f"API_KEY={REDACTED}&Secret={REDACTED}&passwd={REDACTED}&sig={REDACTED}"),
    ("token", "token"),  # a bare name has no value to hide
    ("", ""),
])
def test_token_like_query_values_are_hidden(query, logged):
    assert redact_query(query) == logged


def test_a_logged_path_cannot_break_the_line():
    assert loggable_target(b"/papers/a\nb c", b"q=x y") == "/papers/a%0Ab%20c?q=x%20y"


def test_the_cli_logs_json_lines_when_asked(tmp_path):
    """`-v db upgrade` logs alembic's steps: one JSON object a line in json, plain lines in text."""
    as_json = paperfeed(environment(tmp_path / "a", PAPERFEED_LOG_FORMAT="json"), "-v", "db", "upgrade")
    assert as_json.returncode == 0, as_json.stderr
    records = [json.loads(line) for line in as_json.stderr.splitlines() if line.strip()]
    assert records and {"time", "level", "logger", "message"} <= set(records[0])
    assert any(record["logger"].startswith("alembic") for record in records)
    as_text = paperfeed(environment(tmp_path / "b"), "-v", "db", "upgrade")
    assert as_text.returncode == 0 and as_text.stderr.strip() and not as_text.stderr.lstrip().startswith("{")
    wrong = paperfeed(environment(tmp_path / "c", PAPERFEED_LOG_FORMAT="xml"), "db", "upgrade")
    assert wrong.returncode == 1 and "PAPERFEED_LOG_FORMAT" in wrong.stderr and "Traceback" not in wrong.stderr


def test_a_private_feed_token_in_the_path_never_reaches_the_log():
    logged = loggable_target(b"/feeds/for-you/s3cr3t-token-value.rss", b"")
    assert "s3cr3t" not in logged and logged == f"/feeds/for-you/{REDACTED}"
    assert loggable_target(b"/feeds/daily.rss", b"") == "/feeds/daily.rss"
