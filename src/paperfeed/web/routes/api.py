"""The JSON API under /api/, shaped like the Hugging Face papers API where the two overlap.

Lists are plain arrays, as Hugging Face returns them; `p` (from 0) and `limit` page them, and the
X-Total-Count header (where cheap) and a Link header with rel="next" say what follows. Orders are
stable, each ending in the paper id: daily_papers by listing day (sort=publishedAt, the default, as
Hugging Face's) or by upvotes (sort=trending); trending by score; search by relevance or date.
Every parameter huggingface_hub's HfApi sends is honoured: list_daily_papers' date, week, month,
submitter, sort, p and limit; list_papers' q and limit; paper_info's id. The shapes, errors included,
are api_models.py's, and /openapi.json documents them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException

from paperfeed.search import Filters
from paperfeed.web import lists
from paperfeed.web.api_models import API_ERRORS, PaperDetail, PaperItem
from paperfeed.web.cards import card_json, load_cards, paper_detail_model
from paperfeed.web.deps import ConnDep, SearchDep, SettingsDep, UserDep
from paperfeed.web.links import paged_json
from paperfeed.web.params import (
    ApiPage,
    Authors,
    Categories,
    Day,
    Limit,
    Month,
    PaperId,
    Since,
    Text,
    Until,
    Week,
    Window,
)
from paperfeed.web.params import SearchSort as Sort
from paperfeed.web.render import JsonResponse
from paperfeed.web.searcher import NO_INDEX

router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)
DailySort = Annotated[Literal["publishedAt", "trending"], Query(
    description="publishedAt: latest listing day first (then most upvotes); trending: most upvotes first.")]
Submitter = Annotated[str | None, Query(max_length=255, description=(
    "Only the papers this user put on the daily feed (the exact name shown as submittedBy.name); "
    "without date, week or month, all of their papers."))]


_PAGE_HEADERS = {
    "Link": {"description": 'The next page, as <url>; rel="next", while more follow.', "schema": {"type": "string"}},
    "X-Total-Count": {"description": "How many there are in all (daily_papers).", "schema": {"type": "integer"}},
}
LIST_DOCS = {"response_model": list[PaperItem], "responses": {200: {"headers": _PAGE_HEADERS}}}


@router.get("/daily_papers", **LIST_DOCS, summary="Papers featured on a day, week or month (Hugging Face shape)")
def daily_papers(request: Request, conn: ConnDep, settings: SettingsDep, user: UserDep, day: Day = None,
                 week: Week = None, month: Month = None, submitter: Submitter = None,
                 sort: DailySort = "publishedAt", p: ApiPage = 0, limit: Limit = 50):
    if submitter is not None and not (day or week or month):
        start, end = date.min, date.max
    else:
        period = lists.feed_period(conn, settings, day.isoformat() if day else None, week, month)
        start, end = period.start, period.end
    cards, total = lists.featured(conn, user, start, end, offset=p * limit, limit=limit, submitter=submitter,
                                  sort="upvotes" if sort == "trending" else "date")
    return paged_json(request, [card_json(card) for card in cards], more=total > (p + 1) * limit, p=p, total=total)


@router.get("/trending", **LIST_DOCS, summary="Papers ranked by time-decayed upvotes")
def trending(request: Request, conn: ConnDep, user: UserDep, window: Window = "week", p: ApiPage = 0,
             limit: Limit = 50):
    result, _ = lists.trending(conn, user, window, offset=p * limit, limit=limit)
    return paged_json(request, [card_json(card) for card in result.cards], more=result.more, p=p)


@router.get("/papers/search", **LIST_DOCS, summary="Search papers (hybrid keyword + semantic)")
def search_papers(request: Request, conn: ConnDep, search: SearchDep, user: UserDep, q: Text = "",
                  since: Since = None, until: Until = None, category: Categories = [],  # noqa: B006
                  author: Authors = [], sort: Sort = "relevance", p: ApiPage = 0,  # noqa: B006
                  limit: Limit = 20):
    if search is None:
        raise HTTPException(503, NO_INDEX)
    results = search.search(q, Filters.from_input(since, until, category, author), limit=limit, offset=p * limit,
                            sort=sort)
    cards = load_cards(conn, [hit.paper for hit in results.hits], user,
                       scores={hit.paper.id: hit.score for hit in results.hits})
    response = paged_json(request, [card_json(card) for card in cards], more=results.more, p=p)
    if results.notes:
        response.headers["X-Search-Notes"] = " | ".join(results.notes).encode("ascii", "replace").decode()
    return response


@router.get("/papers/{paper_id:path}", response_model=PaperDetail,
            summary="One paper (with its first day on the daily feed, if featured)")
def paper(paper_id: PaperId, conn: ConnDep, user: UserDep):
    return JsonResponse(paper_detail_model(lists.paper_card(conn, user, paper_id)).model_dump(mode="json"))
