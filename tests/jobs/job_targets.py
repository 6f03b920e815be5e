"""Jobs for the scheduler tests, run by the runner in a child process (importable through the
PYTHONPATH the tests set). Each leaves a trace in a folder named by PAPERFEED_TEST_JOB_DIR."""

from __future__ import annotations

import os
import time
from pathlib import Path


def _dir() -> Path:
    return Path(os.environ["PAPERFEED_TEST_JOB_DIR"])


def record(settings, engine) -> dict:
    """Appends its pid to runs.txt, slowly enough that two runners would overlap."""
    with (_dir() / "runs.txt").open("a") as out:
        out.write(f"{os.getpid()}\n")
    time.sleep(1.5)
    return {"recorded": 1}


def fail_twice(settings, engine) -> dict:
    """Fails on its first two attempts, then succeeds."""
    counter = _dir() / "attempts.txt"
    attempts = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(attempts))
    if attempts <= 2:
        raise RuntimeError(f"attempt {attempts} fails on purpose")
    return {"attempts_seen": attempts}


def sleep_long(settings, engine) -> dict:
    """Writes its pid, then sleeps far past any timeout."""
    (_dir() / "sleeper.pid").write_text(str(os.getpid()))
    time.sleep(600)
    return {}


def ingest_sample(settings, engine) -> dict:
    """A real, resumable job: ingest a JSONL file (the same papers again are no change), slowly."""
    from paperfeed import ingest

    (_dir() / "ingest.pid").write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("PAPERFEED_TEST_JOB_PAUSE", "0")))
    summary, _ = ingest.ingest_file(engine, _dir() / "papers.jsonl", batch_size=2)
    return {"added": summary.added, "unchanged": summary.unchanged}
