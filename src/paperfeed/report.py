"""Rendering results for people on the terminal (the CLI's --json gives the same data for scripts)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from paperfeed.db.stats import StoreStats
from paperfeed.models import IngestSummary


def render_summary(console: Console, summary: IngestSummary, title: str) -> None:
    console.print(
        f"[bold]{title}[/bold]: {summary.seen:,} seen, {summary.added:,} added, "
        f"{summary.updated:,} updated, {summary.unchanged:,} unchanged, "
        f"{summary.skipped_total:,} skipped, {summary.listings:,} listings changed"
    )
    if summary.skipped:
        table = Table("skipped because", "records", title="skipped records", title_justify="left")
        for reason, count in sorted(summary.skipped.items(), key=lambda kv: -kv[1]):
            table.add_row(reason, f"{count:,}")
        console.print(table)


def _counts_table(title: str, label: str, counts: dict[str, int]) -> Table:
    table = Table(label, "papers", title=title, title_justify="left")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    return table


def render_stats(console: Console, stats: StoreStats) -> None:
    console.print(
        f"[bold]{stats.papers:,} papers[/bold], {stats.listings:,} listings, {stats.users:,} users, "
        f"{stats.votes:,} votes; days {stats.first_day or '-'} .. {stats.last_day or '-'}"
    )
    console.print(_counts_table("by source", "source", stats.by_source))
    console.print(_counts_table("by primary category (top)", "category", stats.by_category))
    console.print(_counts_table("by day (most recent)", "day", stats.by_day))
