"""One run of a job for one due time: taken by exactly one process, run in a child process with a
timeout, retried with backoff, and recorded (db/jobs.py) with a log line.

Exactly once: the runner holds the job's lock (a PostgreSQL advisory lock, or a file lock beside a
SQLite store: db/locks.exclusive) for the whole run, then takes the due time with one conditional
UPDATE that succeeds only if no process took it before. So a second process (or machine) firing the
same schedule skips it, and a run that overlaps the next due time is not started twice. A runner
killed half-way releases the lock with its process (the child gets SIGKILL with it); the next due time
runs the job again, and the jobs are written to be run again (resumable harvests, exactly-once digests).
NODE jobs are per node: a file lock in the node's data folder, no claim.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import multiprocessing
import os
import signal
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import jobs as job_store
from paperfeed.db.locks import Busy, exclusive, file_lock
from paperfeed.jobs.catalog import NODE, Job

log = logging.getLogger("paperfeed.jobs")
OK, FAILED, TIMEOUT, SKIPPED = "ok", "failed", "timeout", "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    job: str
    due: datetime
    status: str  # OK, FAILED, TIMEOUT, or SKIPPED (another process has it)
    attempts: int = 0
    duration_s: float = 0.0
    result: dict | None = None
    error: str | None = None


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def state_name(job: Job, settings: Settings) -> str:
    """The job's row in job_state: one for the instance, or one per node for NODE jobs."""
    if job.scope != NODE:
        return job.name
    node = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:8]
    return f"{job.name}@{socket.gethostname()}:{node}"


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (PR_SET_PDEATHSIG), so a killed runner
    leaves no job running behind it."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _child(target: str, settings: Settings, pipe) -> None:
    _die_with_parent()
    try:
        from paperfeed.db.engine import make_engine

        module, function = target.split(":")
        run = getattr(__import__(module, fromlist=[function]), function)
        engine = make_engine(settings.resolved_database_url)
        try:
            pipe.send((OK, run(settings, engine), None))
        finally:
            engine.dispose()
    except BaseException as error:  # noqa: BLE001 - everything is reported to the runner
        pipe.send((FAILED, None, "".join(traceback.format_exception_only(error)).strip()[-4000:]))


def _attempt(job: Job, settings: Settings) -> tuple[str, dict | None, str | None]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks inherited
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job.target, settings, send), daemon=True,
                              name=f"paperfeed job {job.name}")
    process.start()
    send.close()
    deadline = time.monotonic() + job.timeout_s
    outcome = None
    while outcome is None:
        if receive.poll(min(1.0, max(0.0, deadline - time.monotonic()))):
            try:
                outcome = receive.recv()
            except EOFError:
                outcome = (FAILED, None, f"the job's process ended without a result (exit code {process.exitcode})")
        elif not process.is_alive():
            process.join()
            outcome = (FAILED, None, f"the job's process died (exit code {process.exitcode})")
        elif time.monotonic() >= deadline:
            process.kill()
            outcome = (TIMEOUT, None, f"stopped after its timeout of {job.timeout_s:g} s")
    process.join(10)
    receive.close()
    return outcome


def _run(job: Job, settings: Settings) -> tuple[str, int, dict | None, str | None]:
    attempts = 0
    while True:
        attempts += 1
        status, result, error = _attempt(job, settings)
        if status != FAILED or attempts > job.retries:
            return status, attempts, result, error
        pause = job.backoff_s * 2 ** (attempts - 1)
        log.warning("job %s failed (attempt %d of %d), retrying in %g s: %s", job.name, attempts,
                    job.retries + 1, pause, error)
        time.sleep(pause)


def run_due(engine: sa.Engine, settings: Settings, job: Job, due: datetime) -> Outcome:
    """Run `job` for the due time `due` unless another process has it (then SKIPPED)."""
    name = state_name(job, settings)
    try:
        lock = (file_lock(lock_path_of(settings, job), f"{job.name} is running on this node")
                if job.scope == NODE else exclusive(engine, f"job {job.name}"))
        with lock:
            with engine.begin() as conn:
                if not job_store.claim(conn, name, due, runner_id()):
                    return Outcome(job.name, due, SKIPPED)
            began = time.perf_counter()
            status, attempts, result, error = _run(job, settings)
            duration = time.perf_counter() - began
            with engine.begin() as conn:
                job_store.finish(conn, name, due, status, duration, attempts, result, error)
    except Busy:
        return Outcome(job.name, due, SKIPPED)
    outcome = Outcome(job.name, due, status, attempts, duration, result, error)
    line = "job %s due %s: %s in %.1f s after %d attempt(s)%s"
    detail = f"; {error}" if error else f"; {result}" if result else ""
    (log.info if status == OK else log.error)(line, job.name, due.isoformat(), status, duration, attempts, detail)
    return outcome


def run_now(engine: sa.Engine, settings: Settings, job: Job) -> Outcome:
    """Run a job at once, by hand (`paperfeed jobs run NAME`): its due time is now."""
    return run_due(engine, settings, job, datetime.now(UTC))


def lock_path_of(settings: Settings, job: Job) -> Path:
    return settings.data_dir / "jobs" / f"{job.name}.lock"
