"""`paperfeed worker`, `paperfeed jobs list|run` and `paperfeed backup`: the scheduled jobs from the
command line, thin wrappers around paperfeed.jobs and db/backup.py."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import orjson
import typer

from paperfeed.cli.app import JsonOption, OnlyOption, app, out
from paperfeed.errors import PaperfeedError

jobs_app = typer.Typer(help="The scheduled jobs: what they do, when they last and next run; run one now.",
                       no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@app.command("worker")
def worker_command(ctx: typer.Context, only: OnlyOption = None) -> None:
    """Run the scheduled jobs only (no web server): for a separate process or machine. With several
    workers, or a worker beside `paperfeed serve`, each job still runs once per due time.

    Example: paperfeed worker              # next to: paperfeed serve --no-jobs
    """
    from paperfeed.jobs.catalog import check_job_names
    from paperfeed.jobs.scheduler import run_jobs_forever

    context = ctx.obj
    engine = context.migrated_engine()
    check_job_names(context.settings, only)  # a clear error for a typo, before anything starts

    def stop(_signum, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    run_jobs_forever(engine, context.settings, set(only) if only else None)


@jobs_app.command("list")
def list_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Every job: what it does, its last run (result, duration, error) and its next run."""
    from paperfeed.jobs.states import job_rows

    context = ctx.obj
    with context.migrated_engine().connect() as conn:
        rows = job_rows(conn, context.settings)
    if as_json:
        out.print_json(orjson.dumps(rows).decode())
        return
    for row in rows:
        last = f"{row['status']} at {row['last_started']:%Y-%m-%d %H:%M} UTC" if row["last_started"] else "never run"
        following = f"{row['next_run']:%Y-%m-%d %H:%M} UTC" if row["next_run"] else "not scheduled yet"
        out.print(f"{row['name']:<14} {last:<32} next {following}   {row['what']}", highlight=False, markup=False)
        if row["last_error"]:
            out.print(f"{'':<14} last error: {row['last_error']}", highlight=False, markup=False)


@jobs_app.command("run")
def run_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The job, e.g. digests.")],
                as_json: JsonOption = False) -> None:
    """Run one job now, as the scheduler would (skipped if another process is running it).

    Example: paperfeed jobs run hf-daily
    """
    from paperfeed.jobs.catalog import job_named
    from paperfeed.jobs.runner import OK, SKIPPED, run_now

    context = ctx.obj
    engine = context.migrated_engine()
    outcome = run_now(engine, context.settings, job_named(context.settings, name))
    if as_json:
        out.print_json(orjson.dumps({"job": outcome.job, "status": outcome.status, "attempts": outcome.attempts,
                                     "duration_s": outcome.duration_s, "result": outcome.result,
                                     "error": outcome.error}).decode())
    elif outcome.status == SKIPPED:
        out.print(f"{name}: another process is running it; nothing done", highlight=False)
    else:
        out.print(f"{name}: {outcome.status} in {outcome.duration_s:.1f} s ({outcome.attempts} attempt(s))"
                  + (f": {outcome.result}" if outcome.result else ""), highlight=False, markup=False)
    if outcome.status not in (OK, SKIPPED):
        raise PaperfeedError(f"{name} {outcome.status}: {outcome.error}")


@app.command("backup")
def backup_command(ctx: typer.Context, path: Annotated[Path, typer.Argument(help="The file to write.")]) -> None:
    """A consistent copy of the SQLite store while it is in use (SQLite's online backup). PostgreSQL
    stores: use pg_dump.

    Example: paperfeed backup ~/backups/paperfeed-$(date +%F).db
    """
    from paperfeed.db.backup import backup_sqlite

    written = backup_sqlite(ctx.obj.migrated_engine(), path)
    out.print(f"backed up to {written} ({written.stat().st_size:,} bytes)", highlight=False)
