"""`paperfeed ingest ...`: one command per source, each a few lines around paperfeed.ingest/harvests/recent."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import orjson
import typer

from paperfeed import harvests
from paperfeed.cli import progress
from paperfeed.cli.app import JsonOption, app, err, out
from paperfeed.cli.render import render_summary
from paperfeed.ingest import OnBatch, ingest_file, noop
from paperfeed.models import IngestSummary
from paperfeed.recent import Origin, RecentSource, ingest_recent

ingest_app = typer.Typer(help="Bring papers in from a source.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")

MaxPages = Annotated[int | None, typer.Option(help="Stop after this many pages (the next run continues).")]


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
def ingest_recent_command(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, max=30, help="How many recent days to fetch.")] = 2,
    as_json: JsonOption = False,
) -> None:
    """Fetch recent papers from arXiv and Hugging Face, or ingest the sample file when offline.

    This is what `make run` calls. Example: paperfeed ingest recent --days 3
    """
    context = ctx.obj
    engine = context.migrated_engine()
    with context.http_client() as client, ExitStack() as displays:

        def show(source: RecentSource) -> OnBatch:
            notice = _offline_notice(source)
            if notice:
                err.print(notice, markup=False, highlight=False, soft_wrap=True)
            if source.origin is Origin.NOTHING:
                return noop
            label = "recent papers" if source.origin is Origin.LIVE else f"ingesting {source.sample.name}"
            return displays.enter_context(progress.ingest_bar(err, label, disable=as_json))

        result = ingest_recent(engine, client, context.settings, days=days, on_start=show)
    if result.source.origin is Origin.LIVE:
        _finish(result.summary, as_json, f"recent papers ({days} days)")
    elif result.source.origin is Origin.SAMPLE:
        _finish(result.summary, as_json, f"ingest of {result.source.sample}")


def _offline_notice(source: RecentSource) -> str | None:
    if source.origin is Origin.SAMPLE:
        return f"offline: arXiv is not reachable; ingesting the sample file {source.sample} instead"
    if source.origin is Origin.NOTHING:
        return (f"offline: arXiv is not reachable, and there is no sample file at {source.sample} "
                "(set PAPERFEED_SAMPLE); nothing ingested")
    return None


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20", param_hint=option) from None
