"""`paperfeed index`, `paperfeed search` and `paperfeed similar`: thin wrappers around paperfeed.search."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

import orjson
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from paperfeed.cli.app import JsonOption, app, err, out
from paperfeed.cli.render import render_search_results, search_results_json
from paperfeed.search import Filters

LOG_EVERY_S = 30.0  # progress lines when stderr is a file (make run's background data/index.log)


def _bar(description: str, disable: bool):
    """A progress bar on a terminal; on a file (no live display there), a line every LOG_EVERY_S."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
    progress = Progress(*columns, console=err, disable=disable or not err.is_terminal)
    task = progress.add_task(description, total=None, rate="")
    started = time.monotonic()
    logged_at = [started]

    def update(done: int, total: int) -> None:
        elapsed = progress.tasks[task].elapsed or 0
        rate = f"{done / elapsed:,.0f} papers/s" if elapsed > 0 else ""
        progress.update(task, completed=done, total=total, rate=rate)
        now = time.monotonic()
        if not disable and not err.is_terminal and (now - logged_at[0] >= LOG_EVERY_S or done == total):
            logged_at[0] = now
            err.print(f"{description}: {done:,} of {total:,} papers ({rate or 'starting'}, "
                      f"{now - started:,.0f} s)", highlight=False)

    return progress, update


@app.command("index")
def index_command(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option(help="Throw the index away and build it again from the store.")] = False,
    keyword_only: Annotated[bool, typer.Option(help="Only the keyword (BM25) index: seconds, not minutes.")] = False,
    semantic_only: Annotated[bool, typer.Option(help="Only embed what is pending (e.g. in the background).")] = False,
    time_budget: Annotated[float | None, typer.Option(help="Stop embedding after this many seconds.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Bring the search index up to date with the store (only new or changed papers).

    Embeddings are kept, so unchanged text is never embedded twice; Ctrl-C keeps what is done and
    the next run continues. Examples: paperfeed index
              paperfeed index --keyword-only        # fast: search works at once
              paperfeed index --semantic-only &     # embeddings in the background, newest first
    """
    from paperfeed.search import update_index

    context = ctx.obj
    engine = context.migrated_engine()
    keyword_bar, on_keyword = _bar("keyword index", as_json)
    semantic_bar, on_semantic = _bar("embeddings", as_json)
    with keyword_bar, semantic_bar:
        report = update_index(
            context.settings, engine, rebuild=rebuild, keyword=not semantic_only, semantic=not keyword_only,
            time_budget_s=time_budget, on_keyword=on_keyword, on_semantic=on_semantic,
        )
    if not keyword_only:  # new embeddings: the readers' "For you" rankings of the new days, kept
        from paperfeed.foryou.job import rank_everyone

        ranked = rank_everyone(engine, context.settings)
        report["for_you_rankings"] = ranked.rankings
    if as_json:
        out.print_json(orjson.dumps(report).decode())
    else:
        out.print(
            f"keyword: {report['keyword_indexed']:,} papers (re)indexed, {report['keyword_total']:,} in the index; "
            f"semantic: {report['embedded']:,} embedded, {report['vectors']:,} of {report['papers']:,} papers ready"
            + (f"; for you: {report['for_you_rankings']:,} reader-days ranked" if "for_you_rankings" in report else "")
        )


def _filters(since: str | None, until: str | None, categories: list[str] | None, authors: list[str] | None) -> Filters:
    def day(value: str | None, option: str) -> date | None:
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a date like 2026-11-20", param_hint=option) from None

    return Filters(since=day(since, "--since"), until=day(until, "--until"),
                   categories=tuple(categories or ()), authors=tuple(authors or ()))


@app.command("search")
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help='Words, "phrases", ti:/au:/abs:/cat: terms, or a pasted abstract.')] = "",
    since: Annotated[str | None, typer.Option(help="Only papers from this day on (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Only papers up to this day.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="cs.CL or a whole archive (cs); repeatable.")] = None,
    author: Annotated[list[str] | None, typer.Option(help="Full author name; repeatable.")] = None,
    sort: Annotated[str, typer.Option(help="relevance or date.")] = "relevance",
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    offset: Annotated[int, typer.Option(min=0, max=1000)] = 0,
    as_json: JsonOption = False,
) -> None:
    """Hybrid search (BM25 + meaning) over the store.

    Examples: paperfeed search "retrieval augmented generation" --category cs.CL --since 2026-01-01
              paperfeed search 'au:"Yoshua Bengio" ti:attention' --sort date --json
    """
    from paperfeed.search import SearchService

    context = ctx.obj
    service = SearchService.open(context.settings, context.migrated_engine())
    results = service.search(query, _filters(since, until, category, author), limit=limit, offset=offset, sort=sort)
    if as_json:
        out.print_json(orjson.dumps(search_results_json(results)).decode())
    else:
        render_search_results(out, results)


@app.command("similar")
def similar_command(
    ctx: typer.Context,
    paper: Annotated[str, typer.Argument(help="arXiv id, DOI or paperfeed key.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: JsonOption = False,
) -> None:
    """Papers like this one (more like this). Example: paperfeed similar 1706.03762"""
    from paperfeed.search import SearchService

    context = ctx.obj
    service = SearchService.open(context.settings, context.migrated_engine())
    results = service.similar(paper, limit=limit)
    if as_json:
        out.print_json(orjson.dumps(search_results_json(results)).decode())
    else:
        render_search_results(out, results)
