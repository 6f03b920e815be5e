"""Ingest: fetch -> parse -> normalize -> upsert, in batches, each committed with its checkpoint.

A batch's papers, listings and the checkpoint saying how far the run got are written in one
transaction, so a crash or Ctrl-C loses at most the batch in flight and the next run resumes
after the last committed one. A bad record is logged with its reason and skipped; the good
records of its batch are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from paperfeed.db.checkpoints import clear_checkpoint, load_checkpoint, save_checkpoint
from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import upsert_papers
from paperfeed.errors import InvalidInput, InvalidRecord
from paperfeed.http import HttpClient
from paperfeed.models import IngestSummary, Listing, PaperRecord, Rejected
from paperfeed.normalize import normalize_record
from paperfeed.sources.base import Page, Request
from paperfeed.sources.files import read_records

log = logging.getLogger(__name__)

OnBatch = Callable[[IngestSummary], None]


def noop(_summary: IngestSummary) -> None:
    pass


class BatchWriter:
    """Normalizes and writes batches of records, keeping the run's summary."""

    def __init__(self, engine: sa.Engine, on_batch: OnBatch = noop) -> None:
        self.engine = engine
        self.summary = IngestSummary()
        self.on_batch = on_batch

    def reject(self, item: Rejected) -> None:
        self.summary.seen += 1
        self.summary.skip(item.reason)
        log.warning("skipped %s: %s", item.ref, item.reason)

    def write(self, records: list[PaperRecord], checkpoint: tuple[str, dict | None] | None = None) -> None:
        """Write one batch (and save or, with state None, clear the checkpoint) in one transaction."""
        clean: list[PaperRecord] = []
        for record in records:
            self.summary.seen += 1
            try:
                clean.append(normalize_record(record))
            except InvalidRecord as exc:
                self.summary.skip(str(exc))
                log.warning("skipped %s: %s", record.ref or record.arxiv_id or record.title[:60], exc)
        with self.engine.begin() as conn:
            if clean:
                outcome = upsert_papers(conn, clean)
                listings = [
                    Listing(paper_id=paper_id, day=r.listing.day, source=r.source,
                            submitted_by=r.listing.submitted_by, submitted_at=r.listing.submitted_at,
                            upvotes=r.listing.upvotes)
                    for r, paper_id in zip(clean, outcome.paper_ids, strict=True)
                    if r.listing is not None
                ]
                self.summary.listings += upsert_listings(conn, listings)
                self.summary.added += outcome.added
                self.summary.updated += outcome.updated
                self.summary.unchanged += outcome.unchanged
            if checkpoint is not None:
                name, state = checkpoint
                if state is None:
                    clear_checkpoint(conn, name)
                else:
                    save_checkpoint(conn, name, state)
        self.on_batch(self.summary)


def file_checkpoint_name(path: Path) -> str:
    return f"file:{path.resolve()}"


def ingest_file(
    engine: sa.Engine,
    path: Path,
    fmt: str | None = None,
    *,
    batch_size: int = 2000,
    restart: bool = False,
    on_batch: OnBatch = noop,
) -> tuple[IngestSummary, int]:
    """Ingest a local file; returns the summary and the record position it resumed from (0: start).

    The checkpoint remembers the file's size and mtime, so a changed file starts over.
    """
    if not path.is_file():
        raise InvalidInput(f"not a file: {path}" if path.exists() else f"no such file: {path}")
    name = file_checkpoint_name(path)
    stat = path.stat()
    identity = {"size": stat.st_size, "mtime": stat.st_mtime}
    with engine.connect() as conn:
        state = None if restart else load_checkpoint(conn, name)
    start = state["position"] + 1 if state and {k: state.get(k) for k in identity} == identity else 0
    writer = BatchWriter(engine, on_batch)
    batch: list[PaperRecord] = []
    last = start - 1
    for position, item in read_records(path, fmt, skip=start):
        last = position
        if isinstance(item, Rejected):
            writer.reject(item)
        else:
            batch.append(item)
        if len(batch) >= batch_size:
            writer.write(batch, (name, {**identity, "position": position}))
            batch = []
    writer.write(batch, (name, None))
    log.info("ingested %s up to record %d", path, last)
    return writer.summary, start


def harvest(
    engine: sa.Engine,
    client: HttpClient,
    name: str,
    request_for: Callable[[str | None], Request],
    parse: Callable[[bytes, str | None], Page],
    *,
    accept_status: Iterable[int] = (),
    stop_when_stale: bool = False,
    max_pages: int | None = None,
    on_batch: OnBatch = noop,
) -> IngestSummary:
    """Fetch pages until the source says there are no more, committing each with its cursor.

    `name` identifies the harvest (source and parameters); an unfinished run with the same name
    resumes at its saved cursor. With stop_when_stale, a page that brings nothing new ends the
    run (politeness: no need to page through what we have).
    """
    with engine.connect() as conn:
        state = load_checkpoint(conn, name)
    cursor = state.get("cursor") if state else None
    if cursor:
        log.info("resuming %s at cursor %s", name, cursor)
    writer = BatchWriter(engine, on_batch)
    pages = 0
    while True:
        response = client.get(request_for(cursor), accept_status=tuple(accept_status))
        page = parse(response.body, cursor)
        for item in page.rejected:
            writer.reject(item)
        changes_before = writer.summary.added + writer.summary.updated
        pages += 1
        done = page.next_cursor is None or (max_pages is not None and pages >= max_pages)
        # Stopping at max_pages keeps the cursor, so the next run continues the harvest.
        state = None if page.next_cursor is None else {"cursor": page.next_cursor}
        writer.write(page.records, (name, state))
        if done:
            return writer.summary
        if stop_when_stale and writer.summary.added + writer.summary.updated == changes_before:
            with engine.begin() as conn:
                clear_checkpoint(conn, name)
            log.info("%s: a page brought nothing new; stopping", name)
            return writer.summary
        cursor = page.next_cursor
