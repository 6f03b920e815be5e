"""Progress bars for long work (rich), fed by the callbacks the ingest calls after each batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from paperfeed.ingest import OnBatch, noop
from paperfeed.models import IngestSummary


class RateColumn(ProgressColumn):
    """Items per second over the last few updates."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} papers/s" if speed else "", style="progress.data.speed")


@contextmanager
def ingest_bar(console: Console, description: str, *, disable: bool = False) -> Iterator[OnBatch]:
    """Yield an on_batch callback that shows papers seen, the rate and what changed so far."""
    if disable:
        yield noop
        return
    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed:,.0f} seen"),
        RateColumn(), TextColumn("{task.fields[changes]}"), TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=None, changes="")

        def on_batch(summary: IngestSummary) -> None:
            changes = f"+{summary.added:,} new, {summary.updated:,} updated, {summary.skipped_total:,} skipped"
            bar.update(task, completed=summary.seen, changes=changes)

        try:
            yield on_batch
        except BaseException:
            if not bar.tasks[0].completed:  # failed before the first batch: the error says it all
                bar.remove_task(task)
                bar.live.transient = True
            raise
