"""Links and page sizes that several routers share (the daily feed's URLs, a page's feed links, the API's
next-page link), so routers never import each other: pages and their RSS/Atom feeds agree on these
from one place."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request

from paperfeed.web.periods import Period
from paperfeed.web.render import JsonResponse

DAILY_PER_PAGE = 50  # the daily feed and trending, and their feeds
LIST_PER_PAGE = 25  # an author's or a category's papers
SEARCH_PER_PAGE = 20


def daily_url(period: Period | None, page: int = 1) -> str | None:
    if period is None:
        return None
    query = dict([period.param])
    if page > 1:
        query["page"] = str(page)
    return "/papers/daily?" + urlencode(query)


def feeds_for(path: str, title: str, query: str = "") -> list[dict]:
    """The RSS and Atom links a page announces for its list (`/feeds/<path>.rss`, `.atom`)."""
    suffix = f"?{query}" if query else ""
    return [
        {"type": "application/rss+xml", "title": f"{title} (RSS)", "href": f"/feeds/{path}.rss{suffix}"},
        {"type": "application/atom+xml", "title": f"{title} (Atom)", "href": f"/feeds/{path}.atom{suffix}"},
    ]


def paged_json(request: Request, items: list, *, more: bool, p: int, total: int | None = None) -> JsonResponse:
    """An API list (pages `p` from 0): the items, a Link header with rel="next" while more follow, and
    X-Total-Count where the total is known."""
    headers = {}
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "p"] + [("p", str(p + 1))]
        headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    if total is not None:
        headers["X-Total-Count"] = str(total)
    return JsonResponse(items, headers=headers)
