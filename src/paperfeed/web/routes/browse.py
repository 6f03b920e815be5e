"""An author's papers (`/authors/{name}`) and a category's (`/categories/{cat}`), newest first."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request

from paperfeed.errors import NotFound
from paperfeed.search import MAX_OFFSET
from paperfeed.web import lists
from paperfeed.web.cards import author_path, card_json, category_path
from paperfeed.web.deps import ConnDep, SearchDep, SettingsDep, UserDep
from paperfeed.web.links import LIST_PER_PAGE as PER_PAGE
from paperfeed.web.links import feeds_for
from paperfeed.web.params import CategoryName, Page
from paperfeed.web.render import respond

router = APIRouter()
AuthorName = Annotated[str, Path(max_length=300, description="The author's name as written on papers.")]
# An author's papers come from the search index when there is one, which pages MAX_OFFSET results deep.
AuthorPage = Annotated[int, Query(ge=1, le=MAX_OFFSET // PER_PAGE + 1, description="Page number, from 1.")]


def _page_links(base: str, page: int, more: bool) -> dict:
    return {
        "previousPage": f"{base}?{urlencode({'page': page - 1})}" if page > 1 else None,
        "nextPage": f"{base}?{urlencode({'page': page + 1})}" if more else None,
    }


@router.get("/authors/{name:path}", summary="An author's papers, newest first")
def author_page(request: Request, name: AuthorName, conn: ConnDep, search: SearchDep, user: UserDep,
                page: AuthorPage = 1):
    name = " ".join(name.split())
    result = lists.author(conn, search, user, name, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    if not result.cards and page == 1:
        raise NotFound(f"no papers by {name!r}")
    links = _page_links(author_path(name), page, result.more)
    body = {"author": name, "page": page, "papers": [card_json(card) for card in result.cards], "links": links}
    context = {"author": name, "result": result, "page": page, "links": links}
    return respond(request, "author.html", context, body)


@router.get("/categories/{category}", summary="A category's papers, newest first")
def category_page(request: Request, category: CategoryName, conn: ConnDep, settings: SettingsDep, user: UserDep,
                  page: Page = 1):
    result = lists.category(conn, user, category, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    if not result.cards and page == 1 and category not in settings.categories:
        raise NotFound(f"no papers in category {category!r}")
    links = _page_links(category_path(category), page, result.more)
    body = {"category": category, "page": page, "papers": [card_json(card) for card in result.cards],
            "links": links}
    context = {"category": category, "result": result, "page": page, "links": links,
               "feeds": feeds_for(f"categories/{category}", f"New in {category}")}
    return respond(request, "category.html", context, body)
