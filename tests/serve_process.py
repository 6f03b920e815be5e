"""`paperfeed serve` as an operator starts it, for tests: the console script in a subprocess on a free
loopback port, with its own data folder and no PAPERFEED_ variable from the test's environment.

    with serving(tmp_path, "--workers", "2") as (base_url, data_dir):
        httpx.get(base_url + "/readyz")

Also a paper as one line of an ingestable JSONL file (`paper_line`), and the wait until a server's
search API finds it (`found_within`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CONSOLE_SCRIPT = Path(sys.executable).parent / "paperfeed"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERFEED_", "PROMETHEUS_"))}
    return {**env, "PAPERFEED_DATA_DIR": str(data_dir), **extra}


def paperfeed(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(CONSOLE_SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


def _with_jobs_off(serve_args: tuple[str, ...]) -> list[str]:
    """The scheduled jobs stay off unless a test asks for them (--jobs, --only): they would harvest and embed."""
    return list(serve_args) if {"--jobs", "--only"} & set(serve_args) else [*serve_args, "--no-jobs"]


@contextmanager
def serving(tmp_path: Path, *serve_args: str, **env: str) -> Iterator[tuple[str, Path]]:
    """A migrated store in tmp_path/data and `paperfeed serve` on it; yields (base URL, data folder).
    The server's stderr (its log) is in tmp_path/serve.log once the block ends."""
    data_dir = tmp_path / "data"
    variables = environment(data_dir, **env)
    upgraded = paperfeed(variables, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(CONSOLE_SCRIPT), "serve", "--port", str(port), *_with_jobs_off(serve_args)],
                                   env=variables, stdout=subprocess.DEVNULL, stderr=log, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"serve exited {process.returncode}: {log_path.read_text()}")
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"{base} did not answer within 30 s") from None
                    time.sleep(0.2)
            yield base, data_dir
        finally:
            process.terminate()
            process.wait(timeout=20)


def paper_line(arxiv_id: str, title: str) -> str:
    """One paper as a line of a file `paperfeed ingest file` reads."""
    return json.dumps({"id": arxiv_id, "title": title, "abstract": f"{title}, measured and explained.",
                       "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "published": "2026-11-30"})


def found_within(base: str, query: str, arxiv_id: str, limit_s: float) -> float:
    """Seconds until the search API at `base` lists the paper (fails past `limit_s`)."""
    started = time.monotonic()
    while True:
        answer = httpx.get(base + "/api/papers/search", params={"q": query}, timeout=10)
        if answer.status_code == 200 and any(hit["paper"]["id"] == arxiv_id for hit in answer.json()):
            return time.monotonic() - started
        assert time.monotonic() - started < limit_s, f"{arxiv_id} not found in {limit_s} s: {answer.text[:300]}"
        time.sleep(1)
