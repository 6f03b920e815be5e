"""Rendering results for people on the terminal (the CLI's --json gives the same data for scripts)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
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


def search_results_json(results) -> dict:
    return {
        "query": results.query,
        "offset": results.offset,
        "limit": results.limit,
        "more": results.more,
        "notes": results.notes,
        "semantic_coverage": round(results.semantic_coverage, 4),
        "hits": [
            {
                "key": hit.paper.key, "score": round(hit.score, 6), "title": hit.paper.title,
                "authors": hit.paper.authors, "categories": hit.paper.categories,
                "day": str(hit.paper.day) if hit.paper.day else None,
                "abs_url": hit.paper.abs_url,
            }
            for hit in results.hits
        ],
    }


def render_search_results(console: Console, results) -> None:
    for note in results.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    if not results.hits:
        console.print("no papers found")
        return
    for rank, hit in enumerate(results.hits, start=results.offset + 1):
        paper = hit.paper
        day = paper.day or ""
        console.print(f"[bold]{rank:>3}. {escape(paper.title)}[/bold]", highlight=False)
        console.print(f"     {escape(paper.short_authors)} · {paper.primary_category or '-'} · {day} · {paper.key}",
                      highlight=False)
    if results.more:
        console.print(f"[dim]more: --offset {results.offset + results.limit}[/dim]")
