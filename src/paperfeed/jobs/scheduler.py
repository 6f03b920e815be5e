"""The thin layer that fires the jobs on time: APScheduler, one entry per job of the catalog. Each
firing works out its due time (schedule.latest_due) and hands it to runner.run_due, which decides
whether this process runs it. A job missed while nothing was running (its latest due time was never
taken) runs at start.

    scheduler = start_jobs(engine, settings)          # in `paperfeed serve`: a background thread
    run_jobs_forever(engine, settings)                # `paperfeed worker`: until SIGTERM or Ctrl-C
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from paperfeed.config import Settings
from paperfeed.db import jobs as job_store
from paperfeed.jobs import schedule
from paperfeed.jobs.catalog import Job, jobs
from paperfeed.jobs.runner import run_due, state_name

log = logging.getLogger("paperfeed.jobs")


def fire(engine: sa.Engine, settings: Settings, job: Job) -> None:
    now = datetime.now(UTC)
    due = schedule.latest_due(job.trigger, now)
    try:
        if due is not None:
            run_due(engine, settings, job, due)
    except Exception:  # the scheduler thread lives on; the next due time tries again
        log.exception("job %s could not be run", job.name)
    finally:
        with engine.begin() as conn:
            job_store.set_next_run(conn, state_name(job, settings), schedule.next_due(job.trigger, datetime.now(UTC)))


def _missed(engine: sa.Engine, settings: Settings, job: Job, now: datetime) -> bool:
    due = schedule.latest_due(job.trigger, now)
    with engine.connect() as conn:
        state = job_store.job_states(conn).get(state_name(job, settings))
    return due is not None and (state is None or state.claimed_due is None or state.claimed_due < due)


def _configure(scheduler, engine: sa.Engine, settings: Settings, only: set[str] | None) -> list[Job]:
    now = datetime.now(UTC)
    chosen = [job for job in jobs(settings) if only is None or job.name in only]
    for job in chosen:
        scheduler.add_job(fire, trigger=job.trigger, args=(engine, settings, job), id=job.name, name=job.name,
                          next_run_time=now if _missed(engine, settings, job, now) else schedule.next_due(
                              job.trigger, now))
        with engine.begin() as conn:
            job_store.set_next_run(conn, state_name(job, settings), schedule.next_due(job.trigger, now))
    return chosen


def _log_every_run() -> None:
    """A line per run (INFO) whatever the process logs otherwise (the CLI: warnings and up)."""
    if not log.isEnabledFor(logging.INFO):
        log.setLevel(logging.INFO)


def _scheduler(kind):
    # Jobs run in child processes; these threads only wait on them, one per job so none waits for another.
    return kind(timezone=UTC, executors={"default": ThreadPoolExecutor(8)},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})


def start_jobs(engine: sa.Engine, settings: Settings, only: set[str] | None = None) -> BackgroundScheduler:
    _log_every_run()
    scheduler = _scheduler(BackgroundScheduler)
    chosen = _configure(scheduler, engine, settings, only)
    scheduler.start()
    log.info("scheduled jobs: %s", ", ".join(job.name for job in chosen))
    return scheduler


def run_jobs_forever(engine: sa.Engine, settings: Settings, only: set[str] | None = None) -> None:
    _log_every_run()
    scheduler = _scheduler(BlockingScheduler)
    chosen = _configure(scheduler, engine, settings, only)
    log.info("worker: scheduled jobs: %s", ", ".join(job.name for job in chosen))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
