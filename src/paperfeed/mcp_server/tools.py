"""The MCP server and its tools: search, paper, similar, daily_papers and trending, and for a reader
who sent an API token (over HTTP), for_you: their own ranking.

Each tool is a few lines over what the web pages call (web/lists.py, web/cards.py, the search front,
db/papers.get_paper), so a tool and the page of the same list hold the same papers. Every tool only
reads. The tools find the store in the server's lifespan context, so their schemas are built once
per process (that costs ~20 ms a tool) however many servers are made; sync tools run in the SDK's
worker threads, each call with its own connection.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import sqlalchemy as sa
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from paperfeed.config import Settings
from paperfeed.db.for_you import latest_paper_day
from paperfeed.db.papers import get_paper
from paperfeed.db.users import User
from paperfeed.errors import PaperfeedError
from paperfeed.mcp_server.results import (
    DailyPapers,
    ForYouPapers,
    PaperDetail,
    PaperList,
    Recommended,
    TrendingPapers,
    next_offset,
    paper_detail,
    paper_item,
    paper_items,
)
from paperfeed.recommendations import reasons, recommendations
from paperfeed.search import MAX_LIMIT, MAX_OFFSET, Filters, SearchResults, SearchService
from paperfeed.web import lists
from paperfeed.web.cards import load_cards
from paperfeed.web.periods import parse_period
from paperfeed.web.searcher import NO_INDEX, LazySearch

if TYPE_CHECKING:
    from paperfeed.foryou.service import Recommender

INSTRUCTIONS = (
    "paperfeed: research papers (mostly arXiv) with a daily list of featured papers, upvotes and trending. "
    "Find papers with `search` (words, \"phrases\", ti:/au:/abs:/cat: terms, plus filters), browse with "
    "`daily_papers` and `trending`, read one with `paper` and find related work with `similar`. Every list "
    "gives each paper's `id`, which `paper` and `similar` take, and its `url` on this site. With a reader's API "
    "token, `for_you` gives their own ranking of new papers, with why."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

PaperId = Annotated[str, Field(min_length=1, max_length=300,
                               description="arXiv id (2410.17243, with or without version), DOI or paperfeed key.")]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"How many papers, 1-{MAX_LIMIT}.")]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="Papers to skip: a previous result's next_offset.")]
Abstracts = Annotated[bool, Field(description="Include each paper's abstract (longer results, but no `paper` "
                                              "call needed to judge relevance).")]
Names = Annotated[list[Annotated[str, Field(max_length=300)]], Field(max_length=20)]  # as the web search takes


@dataclass(frozen=True, slots=True)
class Store:
    """What the tools read: the server's lifespan context."""

    settings: Settings
    engine: sa.Engine
    search: LazySearch
    recommender: Recommender | None = None  # the web app's; over stdio no reader can ask

    @property
    def site(self) -> str:
        return self.settings.base_url

    def search_service(self) -> SearchService:
        service = self.search.get()
        if service is None:
            raise ToolError(NO_INDEX)
        return service

    def hits(self, results: SearchResults, abstracts: bool, following: int | None) -> PaperList:
        with self.engine.connect() as conn:
            cards = load_cards(conn, [hit.paper for hit in results.hits], None,
                               scores={hit.paper.id: hit.score for hit in results.hits})
        return PaperList(papers=paper_items(cards, self.site, abstracts=abstracts), next_offset=following,
                         notes=results.notes or None)


def _store(ctx: Context) -> Store:
    return ctx.request_context.lifespan_context


def search(
    ctx: Context,
    query: Annotated[str, Field(description='Words, "phrases", ti:/au:/abs:/cat: terms, or a pasted abstract; '
                                            'may be empty when a filter is given.')] = "",
    categories: Annotated[Names, Field(description="arXiv categories or whole archives (cs.CL, cs): any of them.")]
    = [],  # noqa: B006  (pydantic copies defaults)
    authors: Annotated[Names, Field(description="Full author names, any case: any of them.")] = [],  # noqa: B006
    since: Annotated[dt.date | None, Field(description="Only papers announced (else published) on or after this "
                                                       "day.")] = None,
    until: Annotated[dt.date | None, Field(description="Only papers up to this day.")] = None,
    sort: Annotated[Literal["relevance", "date"], Field(description="relevance, or date (newest first).")]
    = "relevance",
    limit: Limit = 10,
    offset: Offset = 0,
    abstracts: Abstracts = False,
) -> PaperList:
    """Search the papers (BM25 keywords and meaning, fused), with the filters of the site's search page."""
    store = _store(ctx)
    filters = Filters.from_input(since, until, categories, authors)
    results = store.search_service().search(query, filters, limit=limit, offset=offset, sort=sort)
    return store.hits(results, abstracts, next_offset(offset, limit, results.more))


def paper(ctx: Context, id: PaperId) -> PaperDetail:
    """One paper in full: title, authors, abstract, dates, categories, upvotes and links."""
    store = _store(ctx)
    with store.engine.connect() as conn:
        card = load_cards(conn, [get_paper(conn, id)], None)[0]
    return paper_detail(card, store.site)


def similar(ctx: Context, id: PaperId, limit: Limit = 10, abstracts: Abstracts = False) -> PaperList:
    """Papers like this one (its text and title words), the paper itself left out."""
    store = _store(ctx)
    return store.hits(store.search_service().similar(id, limit=limit), abstracts, None)


def daily_papers(
    ctx: Context,
    date: Annotated[dt.date | None, Field(description="A day; by default the latest day with papers.")] = None,
    week: Annotated[str | None, Field(pattern=r"^\d{4}-W\d{2}$", description="An ISO week, e.g. 2026-W47.")] = None,
    month: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}$", description="A month, e.g. 2026-11.")] = None,
    sort: Annotated[Literal["upvotes", "date"], Field(description="upvotes (most first) or date (latest listing "
                                                                  "first).")] = "upvotes",
    limit: Limit = 20,
    offset: Offset = 0,
    abstracts: Abstracts = False,
) -> DailyPapers:
    """The papers featured on the daily list of a day, an ISO week or a month (give at most one)."""
    store = _store(ctx)
    with store.engine.connect() as conn:
        period = lists.feed_period(conn, store.settings, date.isoformat() if date else None, week, month)
        feed = lists.daily_feed(conn, store.settings, None, period, offset=offset, limit=limit, sort=sort)
    return DailyPapers(
        period=period.param[1], label=period.label, start=period.start, end=period.end,
        total=feed.featured_total, papers=paper_items(feed.featured, store.site, abstracts=abstracts),
        next_offset=next_offset(offset, limit, feed.featured_total > offset + limit),
    )


def trending(
    ctx: Context,
    window: Annotated[Literal["day", "week", "month"], Field(description="Votes of the last day, week or month.")]
    = "week",
    limit: Limit = 20,
    offset: Offset = 0,
    abstracts: Abstracts = False,
) -> TrendingPapers:
    """Papers ranked by recent upvotes, each vote counting half as much every 24 hours."""
    store = _store(ctx)
    with store.engine.connect() as conn:
        page, as_of = lists.trending(conn, None, window, offset=offset, limit=limit)
    return TrendingPapers(window=window, as_of=as_of, papers=paper_items(page.cards, store.site, abstracts=abstracts),
                          next_offset=next_offset(offset, limit, page.more))


NEEDS_TOKEN = ("for_you is a reader's own ranking: call this server over HTTP (/mcp) with the reader's API "
               "token, 'Authorization: Bearer pf_...' (made on /account/tokens).")


def _token_reader(ctx: Context) -> User:
    """The reader whose API token came with the request (checked by the web app's session middleware);
    never a browser's session cookie, which a page on another site could make a browser send."""
    request = ctx.request_context.request
    state = getattr(request, "state", None)
    if state is None or getattr(state, "api_token", None) is None or getattr(state, "user", None) is None:
        raise ToolError(NEEDS_TOKEN)
    return state.user


def for_you(
    ctx: Context,
    date: Annotated[dt.date | None, Field(description="A day; by default the latest day with papers.")] = None,
    week: Annotated[str | None, Field(pattern=r"^\d{4}-W\d{2}$", description="An ISO week, e.g. 2026-W47.")] = None,
    month: Annotated[str | None, Field(pattern=r"^\d{4}-\d{2}$", description="A month, e.g. 2026-11.")] = None,
    collection: Annotated[int | None, Field(ge=1, le=2**31 - 1, description="Rank for one of the reader's "
                                                                          "collections (its id).")] = None,
    limit: Limit = 20,
    offset: Offset = 0,
    abstracts: Abstracts = False,
) -> ForYouPapers:
    """The reader's own ranking of a day's, week's or month's papers, best first, each with why: the
    library papers it is closest to and the words they share. Needs the reader's API token."""
    reader = _token_reader(ctx)
    store = _store(ctx)
    if store.recommender is None:
        raise ToolError(NEEDS_TOKEN)
    keep = store.settings.for_you_keep
    if offset >= keep:
        raise ToolError(f"offset {offset} is past the end: only the best {keep} papers are kept")
    with store.engine.begin() as conn:  # the recommender keeps what it ranks
        latest = latest_paper_day(conn) or dt.datetime.now(dt.UTC).date()
        period = parse_period(date.isoformat() if date else None, week, month, latest)
        found = recommendations(conn, store.recommender, reader.id, period.start, period.end,
                                collection_id=collection, offset=offset, limit=limit)
        cards = load_cards(conn, [item.paper for item in found.items], reader,
                           scores={item.paper.id: item.ranked.score for item in found.items})
    papers = [Recommended(**paper_item(card, store.site, abstract=abstracts).model_dump(),
                          match=item.ranked.match.value if item.ranked.match else None,
                          percentile=round(item.ranked.percentile, 4), reasons=reasons(item),
                          closest=[paper.key for paper in item.closest])
              for card, item in zip(cards, found.items, strict=True)]
    return ForYouPapers(state=found.state, needed=found.needed, start=found.start, end=found.end,
                        collection=found.collection.name if found.collection else None, papers=papers,
                        next_offset=next_offset(offset, limit, found.has_more and offset + limit < keep))


TOOLS = (search, paper, similar, daily_papers, trending, for_you)


def _as_tool(fn: Callable[..., BaseModel]) -> Callable[..., CallToolResult]:
    """A tool function as the SDK runs it. The result goes out structured (validated against the output
    schema the SDK derives from `fn`'s annotation) and as compact JSON text for clients that read only
    text (the SDK's own text is indented). paperfeed's errors (bad input, unknown paper) reach the
    client as tool errors with their message; any other error stays unexplained."""

    @functools.wraps(fn)
    def call(*args, **kwargs) -> CallToolResult:
        try:
            result = fn(*args, **kwargs)
        except PaperfeedError as exc:
            raise ToolError(str(exc)) from exc
        return CallToolResult(content=[TextContent(type="text", text=result.model_dump_json())],
                              structured_content=result.model_dump(mode="json"))

    return call


@functools.cache
def _tools() -> tuple[Tool, ...]:
    return tuple(Tool.from_function(_as_tool(fn), annotations=READ_ONLY, structured_output=True) for fn in TOOLS)


def build_server(settings: Settings, engine: sa.Engine, lazy_search: LazySearch,
                 recommender: Recommender | None = None) -> MCPServer:
    """The MCP server over this store; `lazy_search` and `recommender` are the web app's when both run in
    one process (without a recommender, for_you answers that it needs the HTTP endpoint and a token)."""
    store = Store(settings, engine, lazy_search, recommender)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[Store]:
        yield store

    # The SDK sets up logging (a handler on the root logger) at this level when nothing else has.
    return MCPServer("paperfeed", title="paperfeed", instructions=INSTRUCTIONS, website_url=settings.base_url,
                     tools=list(_tools()), lifespan=lifespan, log_level="WARNING")
