"""Submitting a paper to today's feed by arXiv id: take it from the store, or fetch it from the
arXiv API and store it, then list it for the day under the submitting user's name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.papers import get_paper
from paperfeed.db.submissions import submit_listing
from paperfeed.db.users import User
from paperfeed.errors import InvalidInput, NotFound, SourceError
from paperfeed.http import HttpClient
from paperfeed.identity import split_arxiv_id
from paperfeed.ingest import BatchWriter
from paperfeed.models import Paper, PaperRecord
from paperfeed.sources import arxiv_api

log = logging.getLogger(__name__)

FetchPaper = Callable[[str], PaperRecord | None]


@dataclass(frozen=True, slots=True)
class Submission:
    paper: Paper
    day: date
    added: bool  # False: the paper was on that day's feed already
    fetched: bool  # True: the paper was new to the store and came from arXiv just now


def parse_arxiv_id(text: str) -> str:
    """'2104.12255', 'arXiv:2104.12255v2' or an arxiv.org link -> '2104.12255'; InvalidInput otherwise."""
    text = text.strip()
    if not text:
        raise InvalidInput("enter an arXiv id, like 2104.12255")
    try:
        arxiv_id, _version = split_arxiv_id(text)
    except ValueError:
        raise InvalidInput(f"{text[:80]!r} is not an arXiv id (like 2104.12255 or hep-th/9901001)") from None
    return arxiv_id


class ArxivLookup:
    """Fetches one paper by id from the arXiv API. Calls take turns through one client, made on
    first use, so its pacing (arXiv asks for 3 s between calls) holds across concurrent submissions."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: HttpClient | None = None
        self._lock = threading.Lock()

    def __call__(self, arxiv_id: str) -> PaperRecord | None:
        request = arxiv_api.build_request(self._settings.arxiv_api_url, id_list=[arxiv_id], max_results=1)
        with self._lock:
            if self._client is None:
                self._client = HttpClient.from_settings(self._settings)
            response = self._client.get(request, accept_status=(400,))  # 400 comes with an error feed
        page = arxiv_api.parse(response.body)
        return next((record for record in page.records if record.arxiv_id == arxiv_id), None)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def submit_paper(engine: sa.Engine, user: User, text: str, fetch: FetchPaper, day: date) -> Submission:
    """Put the paper `text` names on `day`'s feed; a second submission the same day changes nothing.

    Raises InvalidInput for a malformed id, NotFound when arXiv has no such paper and
    SourceError when arXiv cannot be reached or its record cannot be stored.
    """
    arxiv_id = parse_arxiv_id(text)
    paper = _stored(engine, arxiv_id)
    fetched = paper is None
    if paper is None:
        record = fetch(arxiv_id)  # outside any transaction: this may wait on the network
        if record is None:
            raise NotFound(f"arXiv has no paper {arxiv_id}")
        writer = BatchWriter(engine)
        writer.write([record])
        paper = _stored(engine, arxiv_id)
        if paper is None:
            reasons = ", ".join(writer.summary.skipped) or "unknown reason"
            raise SourceError(f"arXiv's record of {arxiv_id} could not be stored ({reasons})")
        log.info("fetched %s from arXiv for a submission by user %d", arxiv_id, user.id)
    with engine.begin() as conn:
        added = submit_listing(conn, paper.id, day, user)
    return Submission(paper, day, added, fetched)


def _stored(engine: sa.Engine, arxiv_id: str) -> Paper | None:
    with engine.connect() as conn:
        try:
            return get_paper(conn, arxiv_id)
        except NotFound:
            return None
