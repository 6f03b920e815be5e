"""The scheduled jobs' state (paperfeed.jobs): who runs which due time, and how each run went.

    if claim(conn, "digests", due, runner, stale_after):   # exactly one runner per due time
        ...run...
        finish(conn, "digests", due, "ok", duration, attempts, result)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import job_state

RUNNING = "running"


@dataclass(frozen=True, slots=True)
class JobState:
    name: str
    claimed_due: datetime | None
    runner: str | None
    status: str | None
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    attempts: int | None
    result: dict | None
    last_error: str | None
    last_error_at: datetime | None
    next_run_at: datetime | None
    runs: int
    failures: int


def claim(conn: sa.Connection, name: str, due: datetime, runner: str, now: datetime | None = None) -> bool:
    """Take the run of `name` due at `due`: True for exactly one caller per due time, however many try at
    once (one conditional UPDATE; the database serializes them). The caller holds the job's lock, so no
    earlier run is still going (a row left "running" is a runner that died)."""
    moment = now or datetime.now(UTC)
    conn.execute(insert_or_ignore(conn, job_state).values(name=name, runs=0, failures=0))
    taken = conn.execute(
        job_state.update()
        .where(job_state.c.name == name,
               sa.or_(job_state.c.claimed_due.is_(None), job_state.c.claimed_due < due))
        .values(claimed_due=due, runner=runner, status=RUNNING, started_at=moment, finished_at=None,
                attempts=0)
    )
    return taken.rowcount == 1


def finish(conn: sa.Connection, name: str, due: datetime, status: str, duration_s: float, attempts: int,
           result: dict | None, error: str | None = None, now: datetime | None = None) -> None:
    """Record how the run of `due` ended (only if this runner still owns it)."""
    moment = now or datetime.now(UTC)
    values = dict(status=status, finished_at=moment, duration_s=duration_s, attempts=attempts, result=result,
                  runs=job_state.c.runs + 1)
    if error is not None:
        values.update(last_error=error[:4000], last_error_at=moment, failures=job_state.c.failures + 1)
    conn.execute(job_state.update().where(job_state.c.name == name, job_state.c.claimed_due == due).values(**values))


def set_next_run(conn: sa.Connection, name: str, next_run_at: datetime | None) -> None:
    conn.execute(insert_or_ignore(conn, job_state).values(name=name, runs=0, failures=0))
    conn.execute(job_state.update().where(job_state.c.name == name).values(next_run_at=next_run_at))


def job_states(conn: sa.Connection) -> dict[str, JobState]:
    rows = conn.execute(sa.select(job_state).order_by(job_state.c.name))
    return {row.name: JobState(**row._mapping) for row in rows}
