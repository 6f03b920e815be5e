"""Scheduled jobs, with real processes and real databases: one run per due time however many runners
fire it at once (SQLite and PostgreSQL), retries with backoff, timeouts that stop the job, a runner
killed with SIGKILL half-way whose job dies with it and whose next due time runs and changes nothing
twice, and the state every run leaves (status, result, duration, attempts, error)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.db.jobs import job_states
from paperfeed.db.papers import count_papers
from paperfeed.jobs import schedule
from paperfeed.jobs.catalog import Job
from paperfeed.jobs.runner import FAILED, OK, SKIPPED, TIMEOUT, run_due

HERE = Path(__file__).resolve().parent
DUE = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)


@pytest.fixture
def job_env(tmp_path, monkeypatch):
    trace = tmp_path / "trace"
    trace.mkdir()
    monkeypatch.setenv("PAPERFEED_TEST_JOB_DIR", str(trace))
    monkeypatch.syspath_prepend(str(HERE))  # the runner's spawned children import job_targets from here
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    return trace


def settings_for(tmp_path: Path, database_url: str) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", database_url=database_url)


def make_job(name: str, target: str, *, timeout_s: float = 60, retries: int = 0, backoff_s: float = 0.1) -> Job:
    return Job(name, f"job_targets:{target}", schedule.every(60), timeout_s=timeout_s, retries=retries,
               backoff_s=backoff_s)


RUNNER = """
import json, sys, time
from datetime import datetime
from paperfeed.config import Settings
from paperfeed.db.engine import make_engine
from paperfeed.jobs import schedule
from paperfeed.jobs.catalog import Job
from paperfeed.jobs.runner import run_due
url, data_dir, target, due, start_at = sys.argv[1:6]
settings = Settings(_env_file=None, data_dir=data_dir, database_url=url)
engine = make_engine(url)
job = Job("shared", "job_targets:" + target, schedule.every(60), timeout_s=60, retries=0)
time.sleep(max(0.0, float(start_at) - time.time()))  # both runners fire at the same instant
outcome = run_due(engine, settings, job, datetime.fromisoformat(due))
print(json.dumps({"status": outcome.status}))
"""


def start_runner(settings: Settings, target: str, due: datetime, start_at: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUNNER, settings.resolved_database_url, str(settings.data_dir),
                             target, due.isoformat(), str(start_at)], stdout=subprocess.PIPE, text=True)


def test_two_processes_firing_the_same_due_time_run_it_once(engine, database_url, tmp_path, job_env):
    settings = settings_for(tmp_path, database_url)
    start_at = time.time() + 4  # after both interpreters have started
    runners = [start_runner(settings, "record", DUE, start_at) for _ in range(2)]
    statuses = sorted(json.loads(runner.communicate(timeout=90)[0])["status"] for runner in runners)
    assert statuses == [OK, SKIPPED]
    assert len((job_env / "runs.txt").read_text().split()) == 1
    # The next due time runs again, once; an old due time never does.
    again = [start_runner(settings, "record", DUE + timedelta(minutes=1), time.time() + 3) for _ in range(2)]
    assert sorted(json.loads(r.communicate(timeout=90)[0])["status"] for r in again) == [OK, SKIPPED]
    assert run_due(engine, settings, make_job("shared", "record"), DUE).status == SKIPPED
    assert len((job_env / "runs.txt").read_text().split()) == 2
    with engine.connect() as conn:
        state = job_states(conn)["shared"]
    assert (state.status, state.runs, state.failures, state.result) == (OK, 2, 0, {"recorded": 1})
    assert state.claimed_due == DUE + timedelta(minutes=1) and state.duration_s >= 1.5


def test_a_failing_job_is_retried_with_backoff_and_its_state_kept(engine, database_url, tmp_path, job_env):
    settings = settings_for(tmp_path, database_url)
    began = time.monotonic()
    outcome = run_due(engine, settings, make_job("flaky", "fail_twice", retries=2, backoff_s=0.5), DUE)
    assert (outcome.status, outcome.attempts, outcome.result) == (OK, 3, {"attempts_seen": 3})
    assert time.monotonic() - began >= 0.5 + 1.0  # 0.5 s, then 1 s: doubled
    (job_env / "attempts.txt").unlink()
    failed = run_due(engine, settings, make_job("flaky", "fail_twice", retries=1), DUE + timedelta(hours=1))
    assert (failed.status, failed.attempts) == (FAILED, 2) and "attempt 2 fails on purpose" in failed.error
    with engine.connect() as conn:
        state = job_states(conn)["flaky"]
    assert (state.status, state.failures, state.runs) == (FAILED, 1, 2)
    assert "attempt 2 fails on purpose" in state.last_error and state.last_error_at is not None


def test_a_job_past_its_timeout_is_stopped(engine, database_url, tmp_path, job_env):
    settings = settings_for(tmp_path, database_url)
    outcome = run_due(engine, settings, make_job("sleepy", "sleep_long", timeout_s=3, retries=2), DUE)
    assert (outcome.status, outcome.attempts) == (TIMEOUT, 1)  # a timeout is not retried
    pid = int((job_env / "sleeper.pid").read_text())
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: look at its state.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def _wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def test_a_runner_killed_half_way_takes_its_job_along_and_the_next_run_changes_nothing_twice(
        engine, database_url, tmp_path, job_env, monkeypatch):
    settings = settings_for(tmp_path, database_url)
    lines = [json.dumps({"id": f"2611.{n:05d}", "title": f"Paper {n}", "abstract": "A real abstract.",
                         "authors": ["Ada Lovelace"], "categories": ["cs.LG"], "listed": "2026-11-20"})
             for n in range(6)]
    (job_env / "papers.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("PAPERFEED_TEST_JOB_PAUSE", "30")
    runner = start_runner(settings, "ingest_sample", DUE, time.time())
    _wait_for(job_env / "ingest.pid")
    child = int((job_env / "ingest.pid").read_text())
    runner.send_signal(signal.SIGKILL)
    runner.wait(10)
    deadline = time.monotonic() + 10
    while _alive(child):  # PR_SET_PDEATHSIG: the job dies with its runner
        assert time.monotonic() < deadline, "the job outlived its killed runner"
        time.sleep(0.1)
    with engine.connect() as conn:
        assert job_states(conn)["shared"].status == "running"  # what the kill left
    monkeypatch.setenv("PAPERFEED_TEST_JOB_PAUSE", "0")
    job = Job("shared", "job_targets:ingest_sample", schedule.every(60), timeout_s=60, retries=0)
    assert run_due(engine, settings, job, DUE).status == SKIPPED  # that due time was taken
    first = run_due(engine, settings, job, DUE + timedelta(minutes=1))
    second = run_due(engine, settings, job, DUE + timedelta(minutes=2))
    assert first.status == OK and first.result["added"] == 6
    assert second.result == {"added": 0, "unchanged": 6}  # run again: nothing changes twice
    with engine.connect() as conn:
        assert count_papers(conn) == 6
        assert job_states(conn)["shared"].status == OK


def test_due_times_are_the_same_in_every_process_and_cron_follows_its_time_zone():
    arxiv = schedule.cron("30 20 * * sun,mon,tue,wed,thu", "America/New_York")
    wednesday_evening_utc = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 18:00 in New York
    assert schedule.latest_due(arxiv, wednesday_evening_utc) == datetime(2026, 12, 2, 1, 30, tzinfo=UTC)
    assert schedule.next_due(arxiv, wednesday_evening_utc) == datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
    saturday = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # no announcement on Friday and Saturday evenings
    assert schedule.next_due(arxiv, saturday) == datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # Sunday 20:30 EST
    minute = schedule.every(60)
    assert schedule.latest_due(minute, datetime(2026, 12, 2, 19, 0, 42, tzinfo=UTC)) == datetime(
        2026, 12, 2, 19, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        schedule.cron("61 * * * *")
