"""`paperfeed serve`: the web app under uvicorn (one process, or several workers sharing the store)."""

from __future__ import annotations

from typing import Annotated

import typer

from paperfeed.cli.app import OnlyOption, app, err
from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.web import workers as workers_module


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (default PAPERFEED_WEB_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default PAPERFEED_WEB_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (one per core is a good start).")] = 1,
    forwarded_allow_ips: Annotated[str | None, typer.Option(
        help="Proxies whose X-Forwarded-For/-Proto to trust, e.g. 127.0.0.1 behind nginx.")] = None,
    jobs: Annotated[bool, typer.Option(help="Run the scheduled jobs too (--no-jobs: a `paperfeed worker` does).")]
    = True,
    only: OnlyOption = None,
) -> None:
    """Serve the site: daily feed, trending, search, paper pages, accounts, JSON API, RSS/Atom.

    Examples: paperfeed serve
              paperfeed serve --host 0.0.0.0 --port 8080 --workers 2 --forwarded-allow-ips 127.0.0.1
              paperfeed serve --only keyword-index --only index   # a web node; one `paperfeed worker` elsewhere
    """
    import uvicorn

    from paperfeed.jobs.catalog import check_job_names

    settings = ctx.obj.settings
    ctx.obj.migrated_engine()  # refuse to serve an unmigrated store, in one line
    if only and not jobs:
        raise InvalidInput("--only picks which scheduled jobs to run, and --no-jobs runs none: use one of them")
    check_job_names(settings, only)
    host = host or settings.web_host
    port = port or settings.web_port
    # uvicorn's own lines go through paperfeed's logging (log_config=None: the format of
    # PAPERFEED_LOG_FORMAT, set up by each worker); the request log is paperfeed's, not uvicorn's.
    options = {"proxy_headers": forwarded_allow_ips is not None, "forwarded_allow_ips": forwarded_allow_ips,
               "log_level": "warning", "access_log": False, "log_config": None}
    workers_module.use_metrics_folder(settings.data_dir / "metrics")
    err.print(f"paperfeed at http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}); Ctrl-C stops it")
    scheduler = None
    if jobs:  # in this (the supervising) process: one scheduler however many workers
        from paperfeed.jobs.scheduler import start_jobs

        scheduler = start_jobs(ctx.obj.migrated_engine(), settings, set(only) if only else None)
    try:
        if workers == 1:
            uvicorn.run(workers_module.APP, factory=True, host=host, port=port, **options)
        else:
            workers_module.serve_workers(host, port, workers, options)
    except OSError as exc:
        raise PaperfeedError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
