"""Hugging Face daily papers (GET /api/daily_papers): build the request and parse the response.

Both halves are pure. The response is a JSON array of featured papers; each becomes a PaperRecord
whose `listing` says which day it was featured, who submitted it and how many upvotes it has.
The item shape is described in shared/data/fixtures/hf_daily_papers/SHAPE.md.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperfeed.errors import InvalidInput, InvalidRecord, SourceError
from paperfeed.identity import is_arxiv_id, split_arxiv_id
from paperfeed.models import ListingRecord, PaperRecord, Rejected
from paperfeed.sources.base import Page, Request

SOURCE = "hf-daily"
SORTS = ("publishedAt", "trending")
MAX_LIMIT = 100

_WEEK = re.compile(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def build_request(
    base_url: str,
    *,
    day: date | None = None,
    week: str | None = None,
    month: str | None = None,
    page: int = 0,
    limit: int = 50,
    sort: str | None = None,
) -> Request:
    """The request for one page of daily papers, optionally for one day, ISO week or month."""
    if sum(period is not None for period in (day, week, month)) > 1:
        raise InvalidInput("give at most one of day, week and month")
    if week is not None and not _WEEK.fullmatch(week):
        raise InvalidInput(f"week must look like 2024-W43, not {week!r}")
    if month is not None and not _MONTH.fullmatch(month):
        raise InvalidInput(f"month must look like 2024-10, not {month!r}")
    if sort is not None and sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if page < 0:
        raise InvalidInput(f"page must be 0 or more, not {page}")

    params: list[tuple[str, str]] = []
    if day is not None:
        params.append(("date", day.isoformat()))
    if week is not None:
        params.append(("week", week))
    if month is not None:
        params.append(("month", month))
    params += [("p", str(page)), ("limit", str(limit))]
    if sort is not None:
        params.append(("sort", sort))
    return Request(base_url, tuple(params))


def parse(body: bytes, *, page: int = 0, limit: int = 50) -> Page:
    """Records and rejects of one response; a full page means there may be another."""
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"Hugging Face daily papers: not JSON ({exc})") from exc
    if not isinstance(items, list):
        detail = items.get("error") if isinstance(items, dict) else None
        shown = detail or repr(items)[:200]
        raise SourceError(f"Hugging Face daily papers: expected a JSON array, got {shown}")

    result = Page(next_cursor=str(page + 1) if len(items) == limit else None)
    for index, item in enumerate(items):
        ref = _item_ref(item, index)
        try:
            result.records.append(_paper(item, ref))
        except (InvalidRecord, ValueError, TypeError, AttributeError) as exc:
            result.rejected.append(Rejected(ref, str(exc)))
    return result


def _paper(item: Any, ref: str) -> PaperRecord:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise InvalidRecord("item has no paper object")
    paper = item["paper"]
    raw_id = paper.get("id") or ""
    if not isinstance(raw_id, str) or not is_arxiv_id(raw_id):
        raise InvalidRecord(f"not an arXiv id: {raw_id!r}")
    arxiv_id, version = split_arxiv_id(raw_id)
    title = (paper.get("title") or item.get("title") or "").strip()
    if not title:
        raise InvalidRecord("missing title")
    published_at = _timestamp(paper.get("publishedAt"))
    return PaperRecord(
        source=SOURCE,
        title=title,
        abstract=(paper.get("summary") or "").strip(),
        authors=tuple(
            author["name"].strip()
            for author in paper.get("authors") or ()
            if isinstance(author, dict) and author.get("name")
        ),
        arxiv_id=arxiv_id,
        version=version,
        published_on=published_at.date() if published_at else None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        # In `paper` as Hugging Face's API has them; beside it as huggingface_hub reads a list item.
        code_url=paper.get("githubRepo") or item.get("githubRepo") or None,
        project_url=paper.get("projectPage") or item.get("projectPage") or None,
        listing=_listing(item, paper),
        ref=ref,
    )


def _listing(item: dict[str, Any], paper: dict[str, Any]) -> ListingRecord | None:
    # The day a paper was featured is when it was put on the list, not when arXiv published it.
    submitted_at = _timestamp(item.get("submittedOnDailyAt") or item.get("publishedAt"))
    if submitted_at is None:
        return None
    submitter = item.get("submittedBy")
    return ListingRecord(
        day=submitted_at.date(),
        submitted_by=(submitter.get("name") or None) if isinstance(submitter, dict) else None,
        submitted_at=submitted_at,
        upvotes=int(paper.get("upvotes") or 0),
    )


def _timestamp(value: Any) -> datetime | None:
    """'2024-10-22T17:59:30.000Z' -> an aware UTC datetime; missing -> None."""
    if not value:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"not a timestamp: {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRecord(f"not a timestamp: {value!r}") from None
    if moment.tzinfo is None:  # the API writes UTC; a bare time is taken as UTC too
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _item_ref(item: Any, index: int) -> str:
    paper = item.get("paper") if isinstance(item, dict) else None
    paper_id = paper.get("id") if isinstance(paper, dict) else None
    return f"item {index} ({paper_id})" if paper_id else f"item {index}"
