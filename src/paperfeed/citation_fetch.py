"""The stored papers an import names, and those missing fetched from the arXiv API: ids batched into
id_list requests through the one HTTP client, what comes back stored by the ingest's own writer, and the rest
listed as not found (never an error: an import keeps what it could find when arXiv is down)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from paperfeed.citations.matching import match_works
from paperfeed.citations.models import CitedWork
from paperfeed.config import Settings
from paperfeed.db.paper_lookup import papers_by_arxiv_ids, papers_by_dois, papers_by_title_keys
from paperfeed.errors import SourceError
from paperfeed.http import HttpClient
from paperfeed.identity import title_key
from paperfeed.ingest import BatchWriter
from paperfeed.models import Paper
from paperfeed.sources import arxiv_api

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # ids per arXiv API request: one page of results, as arXiv's manual suggests
MAX_FETCHED = 1000  # ids fetched per import: at arXiv's 3 s between calls, half a minute


@dataclass(frozen=True, slots=True)
class FetchResult:
    stored_ids: list[int]  # the papers the works name, now in the store (found or fetched), in order, each once
    not_found: list[CitedWork]  # works with no stored paper: unknown to arXiv, no arXiv id, or not fetched
    fetched: list[str]  # arXiv ids fetched and stored just now
    unfetched_reason: str | None = None  # why some arXiv ids were not asked for (arXiv unreachable, the cap)


def stored_papers(conn: sa.Connection, works: Sequence[CitedWork]) -> list[Paper | None]:
    """The stored paper of each work (None: not in the store), aligned with `works`; a few queries in all."""
    return match_works(
        works,
        papers_by_arxiv_ids(conn, (work.arxiv_id for work in works if work.arxiv_id)),
        papers_by_dois(conn, (work.doi for work in works if work.doi)),
        papers_by_title_keys(conn, (title_key(work.title) for work in works if work.title)),
    )


def fetch_missing(engine: sa.Engine, settings: Settings, works: Sequence[CitedWork], *,
                  client: HttpClient | None = None, batch_size: int = BATCH_SIZE,
                  max_fetched: int = MAX_FETCHED) -> FetchResult:
    """Find each work in the store; fetch those with an arXiv id that are not there from the arXiv API
    (settings.arxiv_api_url), store them, and report the rest as not found. `client` shares one client's
    pacing between callers; without one a client is made from settings and closed."""
    with engine.connect() as conn:
        found = stored_papers(conn, works)
    missing = list(dict.fromkeys(work.arxiv_id for work, paper in zip(works, found, strict=True)
                                 if paper is None and work.arxiv_id))
    reason = None
    if len(missing) > max_fetched:
        reason = f"only {max_fetched} papers are fetched from arXiv per import; {len(missing) - max_fetched} were not"
        missing = missing[:max_fetched]
    fetched: list[str] = []
    if missing:
        own_client = client is None
        client = client or HttpClient.from_settings(settings)
        try:
            reason = _fetch(engine, settings, client, missing, batch_size) or reason
        finally:
            if own_client:
                client.close()
        with engine.connect() as conn:
            refound = stored_papers(conn, works)
        asked = set(missing)
        fetched = list(dict.fromkeys(new.arxiv_id for old, new in zip(found, refound, strict=True)
                                     if old is None and new is not None and new.arxiv_id in asked))
        found = [old or new for old, new in zip(found, refound, strict=True)]
    log.info("citation import: %d of %d works stored, %d fetched from arXiv", sum(p is not None for p in found),
             len(works), len(fetched))
    return FetchResult(
        stored_ids=list(dict.fromkeys(paper.id for paper in found if paper is not None)),
        not_found=[work for work, paper in zip(works, found, strict=True) if paper is None],
        fetched=fetched,
        unfetched_reason=reason,
    )


def _fetch(engine: sa.Engine, settings: Settings, client: HttpClient, arxiv_ids: list[str],
           batch_size: int) -> str | None:
    """Fetch and store the papers; return why some could not be asked for. A batch arXiv answers with an
    error feed is skipped; a failed request stops the fetching, as the next would most likely fail too."""
    writer = BatchWriter(engine)
    for start in range(0, len(arxiv_ids), batch_size):
        batch = arxiv_ids[start:start + batch_size]
        request = arxiv_api.build_request(settings.arxiv_api_url, id_list=batch, max_results=len(batch))
        try:
            response = client.get(request, accept_status=(400,))  # arXiv explains a 400 in an Atom feed
        except SourceError as exc:
            log.warning("citation import: arXiv unreachable, %d papers not fetched: %s", len(arxiv_ids) - start, exc)
            return f"arXiv could not be reached: {exc}"
        try:
            page = arxiv_api.parse(response.body)
        except SourceError as exc:
            log.warning("citation import: arXiv refused ids %s: %s", ",".join(batch), exc)
            continue
        wanted = set(batch)
        records = [record for record in page.records if record.arxiv_id in wanted]
        for rejected in page.rejected:
            writer.reject(rejected)
        if records:
            writer.write(records)
    return None
