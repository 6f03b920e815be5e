"""The `paperfeed` command: one thin command per pipeline step. Errors become one line, not a traceback."""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import sqlalchemy as sa
import typer
from rich.console import Console
from rich.logging import RichHandler

from paperfeed import harvests, progress
from paperfeed.config import Settings
from paperfeed.db import migrate
from paperfeed.db.engine import make_engine
from paperfeed.db.stats import store_stats
from paperfeed.errors import PaperfeedError
from paperfeed.http import HttpClient
from paperfeed.ingest import ingest_file
from paperfeed.models import IngestSummary
from paperfeed.report import render_stats, render_summary

app = typer.Typer(
    help="paperfeed: a self-hosted research-paper discovery engine.", no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ingest_app = typer.Typer(help="Bring papers in from a source.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")

out = Console()
err = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")]
MaxPages = Annotated[int | None, typer.Option(help="Stop after this many pages (the next run continues).")]


class Context:
    """What every command needs, built once from Settings by the entry point."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: sa.Engine | None = None

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.resolved_database_url)
        return self._engine

    def migrated_engine(self) -> sa.Engine:
        """The engine, after checking the schema is current (migrations are an explicit step)."""
        if migrate.current_revision(self.engine) != migrate.head_revision():
            raise PaperfeedError("the database schema is not up to date: run `paperfeed db upgrade` first")
        return self.engine

    def http_client(self) -> HttpClient:
        return HttpClient.from_settings(self.settings)


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
    )
    ctx.obj = Context(Settings())


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the latest version.

    Example: paperfeed db upgrade
    """
    context = ctx.obj
    migrate.upgrade(context.engine)
    out.print(f"database at revision {migrate.current_revision(context.engine)} "
              f"({context.engine.url.render_as_string(hide_password=True)})")


def _finish(summary: IngestSummary, as_json: bool, title: str) -> None:
    if as_json:
        out.print_json(orjson.dumps(asdict(summary)).decode())
    else:
        render_summary(out, summary, title)


@ingest_app.command("file")
def ingest_file_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="JSONL/CSV/BibTeX file or Kaggle arXiv snapshot (.gz ok).")],
    fmt: Annotated[str | None, typer.Option("--format", help="kaggle, jsonl, csv or bibtex (default: detect).")] = None,
    restart: Annotated[bool, typer.Option(help="Ignore the checkpoint of an unfinished run.")] = False,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Papers per transaction.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Ingest papers from a local file; an interrupted run resumes where it stopped.

    Examples: paperfeed ingest file arxiv-metadata-oai-snapshot.json.gz
              paperfeed ingest file refs.bib --format bibtex
    """
    context = ctx.obj
    engine = context.migrated_engine()
    with progress.ingest_bar(err, f"ingesting {path.name}", disable=as_json) as on_batch:
        summary, resumed_at = ingest_file(
            engine, path, fmt, restart=restart,
            batch_size=batch_size or context.settings.ingest_batch_size, on_batch=on_batch,
        )
    if resumed_at and not as_json:
        out.print(f"resumed after record {resumed_at} (checkpoint of an earlier, unfinished run)")
    _finish(summary, as_json, f"ingest of {path}")


@ingest_app.command("arxiv-oai")
def ingest_arxiv_oai(
    ctx: typer.Context,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI set: cs, math, physics:astro-ph, ...")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD (default: yesterday).")] = None,
    until_date: Annotated[str | None, typer.Option("--until", help="YYYY-MM-DD.")] = None,
    max_pages: MaxPages = None,
    as_json: JsonOption = False,
) -> None:
    """Harvest arXiv metadata over OAI-PMH (resumes an interrupted harvest).

    Example: paperfeed ingest arxiv-oai --set cs --from 2026-11-20
    """
    context = ctx.obj
    engine = context.migrated_engine()
    start = _parse_date(from_date, "--from") or date.today() - timedelta(days=1)
    with context.http_client() as client, progress.ingest_bar(err, "arXiv OAI-PMH", disable=as_json) as on_batch:
        summary = harvests.harvest_arxiv_oai(
            engine, client, context.settings, set_spec=set_spec, from_date=start,
            until_date=_parse_date(until_date, "--until"), max_pages=max_pages, on_batch=on_batch,
        )
    _finish(summary, as_json, "arXiv OAI-PMH harvest")


@ingest_app.command("arxiv-api")
def ingest_arxiv_api(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Option("--id", help="arXiv id (repeatable).")] = None,
    query: Annotated[str | None, typer.Option(help="arXiv API search_query, e.g. 'cat:cs.CL AND ti:llm'.")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=2000)] = 100,
    max_pages: MaxPages = None,
    as_json: JsonOption = False,
) -> None:
    """Fetch papers from the arXiv API by id or by query (stops when a page brings nothing new).

    Examples: paperfeed ingest arxiv-api --id 1706.03762 --id 2410.17243
              paperfeed ingest arxiv-api --query 'cat:cs.IR' --max-pages 3
    """
    context = ctx.obj
    engine = context.migrated_engine()
    with context.http_client() as client, progress.ingest_bar(err, "arXiv API", disable=as_json) as on_batch:
        summary = harvests.harvest_arxiv_api(
            engine, client, context.settings, id_list=ids or (), query=query, page_size=page_size,
            max_pages=max_pages, on_batch=on_batch,
        )
    _finish(summary, as_json, "arXiv API fetch")


@ingest_app.command("hf-daily")
def ingest_hf_daily(
    ctx: typer.Context,
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    week: Annotated[str | None, typer.Option(help="YYYY-Www, e.g. 2026-W47.")] = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM.")] = None,
    sort: Annotated[str | None, typer.Option(help="publishedAt or trending.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 50,
    max_pages: MaxPages = None,
    as_json: JsonOption = False,
) -> None:
    """Import the Hugging Face daily papers (papers, listings, upvotes and submitters).

    Example: paperfeed ingest hf-daily --date 2026-11-20
    """
    context = ctx.obj
    engine = context.migrated_engine()
    the_day = _parse_date(day, "--date")
    if the_day is None and week is None and month is None:
        the_day = date.today()
    with context.http_client() as client, progress.ingest_bar(err, "HF daily papers", disable=as_json) as on_batch:
        summary = harvests.harvest_hf_daily(
            engine, client, context.settings, day=the_day, week=week, month=month, limit=limit, sort=sort,
            max_pages=max_pages, on_batch=on_batch,
        )
    _finish(summary, as_json, "Hugging Face daily papers")


@ingest_app.command("recent")
def ingest_recent(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, max=30, help="How many recent days to fetch.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Fetch recent papers from arXiv and Hugging Face, or ingest the sample file when offline.

    This is what `make run` calls. Example: paperfeed ingest recent --days 3
    """
    context = ctx.obj
    engine = context.migrated_engine()
    settings = context.settings
    with context.http_client() as client:
        if client.is_reachable(settings.arxiv_oai_url):
            total = IngestSummary()
            since = date.today() - timedelta(days=days)
            with progress.ingest_bar(err, "recent papers", disable=as_json) as on_batch:
                for set_spec in harvests.oai_sets_for(settings.categories):
                    total = total.plus(harvests.harvest_arxiv_oai(
                        engine, client, settings, set_spec=set_spec, from_date=since, until_date=None,
                        on_batch=on_batch))
                for offset in range(days):
                    total = total.plus(harvests.harvest_hf_daily(
                        engine, client, settings, day=date.today() - timedelta(days=offset), on_batch=on_batch))
            _finish(total, as_json, f"recent papers ({days} days)")
            return
    sample = settings.sample
    if not sample.exists():
        err.print(f"offline: arXiv is not reachable, and there is no sample file at {sample} "
                  "(set PAPERFEED_SAMPLE); nothing ingested",
                  markup=False, highlight=False, soft_wrap=True)
        return
    err.print(f"offline: arXiv is not reachable; ingesting the sample file {sample} instead",
              markup=False, highlight=False, soft_wrap=True)
    with progress.ingest_bar(err, f"ingesting {sample.name}", disable=as_json) as on_batch:
        summary, _ = ingest_file(engine, sample, batch_size=settings.ingest_batch_size, on_batch=on_batch)
    _finish(summary, as_json, f"ingest of {sample}")


@app.command("stats")
def stats(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """What the store holds: papers by source, category and day.

    Examples: paperfeed stats
              paperfeed stats --json | jq .by_source
    """
    engine = ctx.obj.migrated_engine()
    with engine.connect() as conn:
        result = store_stats(conn)
    if as_json:
        out.print_json(orjson.dumps(asdict(result)).decode())
    else:
        render_stats(out, result)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20", param_hint=option) from None


INTERRUPTED = 130  # the shell's exit code for a Ctrl-C


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; the one place errors become a single line."""
    try:
        result = app(args=argv, prog_name="paperfeed", standalone_mode=False)
    except typer.TyperException as exc:
        if hasattr(exc, "show"):
            exc.show()
        else:
            err.print(f"error: {exc.format_message()}",
                      highlight=False, markup=False, soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        return _interrupted()
    except PaperfeedError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False, soft_wrap=True)
        return 1
    except sa.exc.OperationalError as exc:
        err.print(f"database error: {str(exc.orig).splitlines()[0]}",
                  highlight=False, markup=False, soft_wrap=True)
        return 1
    if result == INTERRUPTED:  # typer catches Ctrl-C itself and returns 130 without a word
        return _interrupted()
    return result if isinstance(result, int) else 0


def _interrupted() -> int:
    err.print("interrupted: finished batches are saved; run the same command again to resume")
    return INTERRUPTED


def main() -> None:
    sys.exit(run())
