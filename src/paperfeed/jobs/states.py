"""Every job with its kept state (db/jobs.py), as rows for `paperfeed jobs list`, `paperfeed status`
and /admin/status: what it does, its last run (status, result, duration, error) and its next run."""

from __future__ import annotations

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.jobs import job_states
from paperfeed.jobs.catalog import jobs
from paperfeed.jobs.runner import state_name


def job_rows(conn: sa.Connection, settings: Settings) -> list[dict]:
    states = job_states(conn)
    rows = []
    for job in jobs(settings):
        state = states.get(state_name(job, settings))
        rows.append({
            "name": job.name, "what": job.description, "scope": job.scope, "timeout_s": job.timeout_s,
            "retries": job.retries, "status": state.status if state else None,
            "last_started": state.started_at if state else None,
            "last_finished": state.finished_at if state else None,
            "duration_s": state.duration_s if state else None, "attempts": state.attempts if state else None,
            "result": state.result if state else None, "last_error": state.last_error if state else None,
            "last_error_at": state.last_error_at if state else None,
            "next_run": state.next_run_at if state else None,
            "runs": state.runs if state else 0, "failures": state.failures if state else 0,
        })
    return rows
