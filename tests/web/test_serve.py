"""`paperfeed serve` as a user runs it: the console script in a subprocess, a real port, two workers
sharing one session key, and the refusals that must come before any worker starts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    return {**env, "PAPERFEED_DATA_DIR": str(tmp_path / "data"), **extra}


def paperfeed(env, *args, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.stderr.read()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_serve_answers_on_its_port_and_workers_share_the_session_key(tmp_path):
    env = environment(tmp_path)
    assert paperfeed(env, "db", "upgrade").returncode == 0
    port = free_port()
    process = subprocess.Popen([str(CONSOLE_SCRIPT), "serve", "--port", str(port), "--workers", "2", "--no-jobs"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/", process)
        assert httpx.get(base + "/").status_code == 200
        assert httpx.get(base + "/api/daily_papers").json() == []
        # One cookie, many connections (each may reach either worker): every worker must accept the
        # session another one signed, or the visitor would get a new token from it.
        cookies = httpx.get(base + "/sign-in").cookies  # an HTML page sets the session cookie
        tokens = {httpx.get(base + "/sign-in.json", cookies=cookies).json()["csrf_token"] for _ in range(20)}
        assert len(tokens) == 1
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.parametrize(("extra", "setup", "message"), [
    ({"PAPERFEED_ENVIRONMENT": "production"}, True, "refusing to start in production: PAPERFEED_SECRET_KEY is not set"),
    ({}, False, "run `paperfeed db upgrade` first"),
])
def test_serve_refuses_in_one_line_before_listening(tmp_path, extra, setup, message):
    if setup:
        assert paperfeed(environment(tmp_path), "db", "upgrade").returncode == 0
    result = paperfeed(environment(tmp_path, **extra), "serve", "--port", str(free_port()), "--no-jobs")
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_link_the_cli_prints_in_development_is_accepted_by_the_server(tmp_path):
    """No PAPERFEED_SECRET_KEY: `paperfeed subscribe` and every `serve` worker must sign with one key."""
    env = environment(tmp_path)
    assert paperfeed(env, "db", "upgrade").returncode == 0
    subscribed = paperfeed(env, "subscribe", "ada@example.org", "--category", "cs.CL")
    assert subscribed.returncode == 0, subscribed.stderr
    link = urlsplit(next(line for line in subscribed.stdout.split() if "/subscriptions/confirm?" in line))
    port = free_port()
    process = subprocess.Popen([str(CONSOLE_SCRIPT), "serve", "--port", str(port), "--workers", "2", "--no-jobs"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/", process)
        for _ in range(4):  # connections may reach either worker
            page = httpx.get(f"{base}{link.path}?{link.query}")
            assert page.status_code == 200, page.text
            assert "not valid" not in page.text
    finally:
        process.terminate()
        process.wait(timeout=20)
