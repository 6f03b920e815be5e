"""`paperfeed for-you EMAIL` (a reader's ranking of a day, week or month, with reasons) and
`paperfeed for-you rank` (the ranking job for every reader, as `paperfeed index` runs it after
embedding): thin wrappers around paperfeed.recommendations and paperfeed.foryou.job.

`for-you EMAIL ...` is short for `for-you show EMAIL ...`: a first word that names no subcommand is
taken as the reader's email.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import click
import orjson
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from paperfeed.cli.app import JsonOption, app, err, out
from paperfeed.cli.library import CollectionOption, reader_by_email
from paperfeed.db.collections import collection_by_name
from paperfeed.db.for_you import latest_paper_day
from paperfeed.recommendations import Recommendations, reasons, recommendations
from paperfeed.web.periods import parse_period


class _ShowByDefault(TyperGroup):
    """`for-you EMAIL ...` runs `for-you show EMAIL ...`; `for-you rank` and `--help` stay as they are."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["show", *args]
        return super().parse_args(ctx, args)


for_you_app = typer.Typer(cls=_ShowByDefault, no_args_is_help=True,
                          help='"For you": a reader\'s ranking of new papers, and the job that ranks them.')
app.add_typer(for_you_app, name="for-you")

Email = Annotated[str, typer.Argument(help="The reader's account email.")]
DayOption = Annotated[str | None, typer.Option("--date", help="A day, YYYY-MM-DD.")]
WeekOption = Annotated[str | None, typer.Option("--week", help="An ISO week, e.g. 2026-W45.")]
MonthOption = Annotated[str | None, typer.Option("--month", help="A month, e.g. 2026-11.")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="How many papers, 1-100.")]


def _json(found: Recommendations) -> dict:
    return {
        "state": found.state, "positives": found.positives, "needed": found.needed,
        "start": found.start.isoformat(), "end": found.end.isoformat(),
        "collection": found.collection.name if found.collection else None,
        "papers": [{
            "id": item.paper.arxiv_id or item.paper.key, "title": item.paper.title,
            "day": item.ranked.day.isoformat(), "score": round(item.ranked.score, 6),
            "percentile": round(item.ranked.percentile, 4),
            "match": item.ranked.match.value if item.ranked.match else None,
            "closest": [{"id": paper.arxiv_id or paper.key, "title": paper.title} for paper in item.closest],
            "shared_words": list(item.ranked.shared_words),
        } for item in found.items],
    }


def _print(found: Recommendations) -> None:
    scope = f" of {found.collection.name!r}" if found.collection else ""
    if found.state != "ready":
        more = f"{found.needed} more paper{'s' if found.needed != 1 else ''}"
        out.print(f"nothing ranked yet{escape(scope)}: {found.positives} papers to learn from; save, upvote or "
                  f"rate {more} (paperfeed library add / import)", highlight=False)
        return
    if not found.items:
        out.print(f"no papers from {found.start} to {found.end}", highlight=False)
        return
    out.print(f"[dim]for you{escape(scope)}, {found.start} to {found.end}[/dim]", highlight=False)
    for rank, item in enumerate(found.items, start=1):
        paper = item.paper
        out.print(f"[bold]{rank:>3}. {escape(paper.title)}[/bold]", highlight=False)
        out.print(f"     {escape(paper.short_authors)} · {item.ranked.day} · {escape(paper.arxiv_id or paper.key)}"
                  f" · score {item.ranked.score:.3f}", highlight=False)
        if why := reasons(item):
            out.print(f"     [dim]{escape(why)}[/dim]", highlight=False)
    if found.has_more:
        out.print("[dim]more: --limit (up to 100)[/dim]")


@for_you_app.command("show")
def show_command(ctx: typer.Context, email: Email, day: DayOption = None, week: WeekOption = None,
                 month: MonthOption = None, collection: CollectionOption = None, limit: LimitOption = 20,
                 as_json: JsonOption = False) -> None:
    """A reader's ranking of the papers of a day, week or month (by default the latest day with
    papers), best first, each with the library papers it is closest to and the words they share.

    Examples: paperfeed for-you ada@example.org --week 2026-W45
              paperfeed for-you ada@example.org --collection "To read" --limit 5 --json | jq '.papers[].id'
    """
    from paperfeed.foryou.service import Recommender

    context = ctx.obj
    engine = context.migrated_engine()
    reader = reader_by_email(engine, email)
    recommender = Recommender(context.settings)
    try:
        with engine.begin() as conn:  # the recommender keeps what it ranks
            collection_id = collection_by_name(conn, reader.id, collection).id if collection else None
            period = parse_period(day, week, month, latest_paper_day(conn) or datetime.now(UTC).date())
            found = recommendations(conn, recommender, reader.id, period.start, period.end,
                                    collection_id=collection_id, limit=limit)
    finally:
        recommender.close()
    if as_json:
        out.print_json(orjson.dumps(_json(found)).decode())
    else:
        _print(found)


@for_you_app.command("rank")
def rank_command(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Rank the recent days for every reader with something to learn from, refitting the models whose
    evidence changed, and keep the rankings (`paperfeed index` runs this after embedding new papers).

    Examples: paperfeed for-you rank
              paperfeed for-you rank --json
    """
    from paperfeed.foryou.job import rank_everyone

    context = ctx.obj
    engine = context.migrated_engine()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, disable=as_json or not err.is_terminal) as progress:
        task = progress.add_task("ranking reader-days", total=None)
        report = rank_everyone(engine, context.settings,
                               on_progress=lambda done, total: progress.update(task, completed=done, total=total))
    if as_json:
        out.print_json(orjson.dumps(report).decode())
        return
    out.print(f"for you: {report.readers:,} readers, {report.refitted:,} models refitted, {report.models:,} "
              f"ranked over {report.days:,} days: {report.rankings:,} reader-days ranked, {report.pruned:,} old "
              f"rows pruned ({report.seconds:,.1f} s)", highlight=False)
