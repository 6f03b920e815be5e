"""`ingest recent`, the step `make run` takes: the last few days from arXiv and Hugging Face when
arXiv answers, else the sample file, else nothing (offline with no sample is not an error)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from pathlib import Path

import sqlalchemy as sa

from paperfeed import harvests
from paperfeed.config import Settings
from paperfeed.http import HttpClient
from paperfeed.ingest import OnBatch, ingest_file, noop
from paperfeed.models import IngestSummary


class Origin(Enum):
    LIVE = "live"  # arXiv answered: its OAI-PMH sets for the followed categories, then HF's daily pages
    SAMPLE = "sample"  # offline: the sample file
    NOTHING = "nothing"  # offline and no sample file


@dataclass(frozen=True, slots=True)
class RecentSource:
    """Where the recent papers come from, known before the first batch."""

    origin: Origin
    days: int
    sample: Path


@dataclass(frozen=True, slots=True)
class RecentIngest:
    source: RecentSource
    summary: IngestSummary  # empty when the origin is NOTHING


def _no_display(_source: RecentSource) -> OnBatch:
    return noop


def ingest_recent(
    engine: sa.Engine, client: HttpClient, settings: Settings, *, days: int, today: date | None = None,
    on_start: Callable[[RecentSource], OnBatch] = _no_display,
) -> RecentIngest:
    """Ingest the last `days` days, or the sample file when arXiv does not answer.

    `on_start` is told where the papers will come from before anything is fetched, and returns the
    callback each batch reports to (the CLI prints a notice and opens a progress bar there).
    """
    today = today or date.today()
    if client.is_reachable(settings.arxiv_oai_url):
        origin = Origin.LIVE
    else:
        origin = Origin.SAMPLE if settings.sample.exists() else Origin.NOTHING
    source = RecentSource(origin, days, settings.sample)
    on_batch = on_start(source)
    if origin is Origin.LIVE:
        summary = harvest_days(engine, client, settings, days=days, today=today, on_batch=on_batch)
    elif origin is Origin.SAMPLE:
        summary, _ = ingest_file(engine, settings.sample, batch_size=settings.ingest_batch_size, on_batch=on_batch)
    else:
        summary = IngestSummary()
    return RecentIngest(source, summary)


def harvest_days(
    engine: sa.Engine, client: HttpClient, settings: Settings, *, days: int, today: date, on_batch: OnBatch = noop,
    hf: bool = True,
) -> IngestSummary:
    """The last `days` days of the followed categories from arXiv's OAI-PMH sets, then (with `hf`)
    Hugging Face's daily pages of those days."""
    total = IngestSummary()
    since = today - timedelta(days=days)
    for set_spec in harvests.oai_sets_for(settings.categories):
        total = total.plus(harvests.harvest_arxiv_oai(
            engine, client, settings, set_spec=set_spec, from_date=since, until_date=None, on_batch=on_batch))
    for offset in range(days if hf else 0):
        total = total.plus(harvests.harvest_hf_daily(
            engine, client, settings, day=today - timedelta(days=offset), on_batch=on_batch))
    return total
