"""The search page: the filters in a form, marked matches, paging, the service's notes, and
"similar papers" (`/search?similar=<key>`). Works without an index: it then says how to build one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from paperfeed.search import MAX_OFFSET, Filters, parse_query
from paperfeed.web.cards import card_json, load_cards
from paperfeed.web.deps import ConnDep, SearchDep, SettingsDep, UserDep
from paperfeed.web.links import SEARCH_PER_PAGE as PER_PAGE
from paperfeed.web.links import feeds_for
from paperfeed.web.params import Authors, Categories, Since, Text, Until
from paperfeed.web.params import SearchSort as Sort
from paperfeed.web.render import respond
from paperfeed.web.searcher import NO_INDEX, run_search

router = APIRouter()
SearchPage = Annotated[int, Query(ge=1, le=MAX_OFFSET // PER_PAGE + 1, description="Page number, from 1.")]
SimilarTo = Annotated[str | None, Query(max_length=300, description="A paper's key: papers like it.")]


def highlight_terms(text: str) -> list[str]:
    """The words of a query worth marking in results: free words, phrase words, title/abstract clauses."""
    parsed = parse_query(text)
    words = list(parsed.terms)
    for phrase in parsed.phrases:
        words += phrase.split()
    for clause in parsed.fields:
        if clause.field in ("title", "abstract"):
            words += clause.text.split()
    return words


@router.get("/search", summary="Search papers (hybrid: keywords and meaning)")
def search_page(request: Request, conn: ConnDep, settings: SettingsDep, search: SearchDep, user: UserDep,
                q: Text = "", since: Since = None, until: Until = None, category: Categories = [],  # noqa: B006
                author: Authors = [], sort: Sort = "relevance", page: SearchPage = 1,  # noqa: B006
                similar: SimilarTo = None):
    filters = Filters.from_input(since, until, category, author)
    results = None
    notes: list[str] = []
    if search is None:
        notes.append(NO_INDEX)
    else:
        results = run_search(search, q, filters, offset=(page - 1) * PER_PAGE, limit=PER_PAGE, sort=sort,
                             similar=similar)
    cards = load_cards(conn, [hit.paper for hit in results.hits], user,
                       scores={hit.paper.id: hit.score for hit in results.hits}) if results else []
    if results:
        notes += results.notes
    query = {"q": q, "since": since or "", "until": until or "", "sort": sort, "similar": similar or ""}
    base = [(k, v) for k, v in query.items() if v] + [("category", c) for c in category] + \
        [("author", a) for a in author]
    paged = results is not None and not similar  # similar papers are one list: the service has no offset for it
    links = {
        "previousPage": "/search?" + urlencode([*base, ("page", page - 1)]) if paged and page > 1 else None,
        "nextPage": "/search?" + urlencode([*base, ("page", page + 1)]) if paged and results.more else None,
    }
    similar_to = results.query.removeprefix("similar:") if results and similar else None
    body = {
        "query": q, "similar": similar_to, "sort": sort, "page": page, "indexReady": search is not None,
        "filters": {"since": since, "until": until, "categories": list(filters.categories),
                    "authors": list(filters.authors)},
        "notes": notes, "semanticCoverage": results.semantic_coverage if results else None,
        "results": [card_json(card) for card in cards], "links": links,
    }
    context = {
        "q": q, "since": since, "until": until, "categories": category, "authors": author, "sort": sort,
        "page": page, "similar": similar_to, "results": results, "cards": cards, "notes": notes, "links": links,
        "terms": highlight_terms(q) if q else [], "section": "search",
        # The feed carries the filters and sort too, so it holds the papers this page shows.
        "feeds": feeds_for("search", f"Search: {q[:60] or 'filtered papers'}",
                           urlencode([(k, v) for k, v in base if k != "similar"]))
        if (q.strip() or filters.active) and not similar else [],
    }
    return respond(request, "search.html", context, body)
