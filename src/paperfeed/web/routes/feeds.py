"""RSS 2.0 and Atom feeds (`/feeds/...`) of the daily list, trending, each category and any search.

A feed is the first page of its page's list, read through the same functions (web/lists.py, the
search page's run_search), so it always holds the papers that page shows. The XML is built by
feedgen, which escapes text; RSS readers take <description> as HTML, so the abstract is
HTML-escaped before it goes there, and markup in an abstract is shown as text, never run.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from feedgen.feed import FeedGenerator
from starlette.responses import Response

from paperfeed.config import Settings
from paperfeed.errors import NotFound
from paperfeed.search import Filters
from paperfeed.web import links, lists
from paperfeed.web.cards import Card, category_path, load_cards, paper_path
from paperfeed.web.deps import ConnDep, SearchDep, SettingsDep
from paperfeed.web.errors import json_error
from paperfeed.web.params import Authors, Categories, CategoryName, Day, Month, Since, Text, Until, Week, Window
from paperfeed.web.params import SearchSort as Sort
from paperfeed.web.searcher import NO_INDEX, run_search

router = APIRouter(prefix="/feeds", tags=["feeds"])
Kind = Annotated[Literal["rss", "atom"], Path(description="rss (RSS 2.0) or atom.")]
MEDIA_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
# Characters XML 1.0 cannot hold at all; lxml refuses the whole document if one slips through.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    title: str
    description: str
    page_url: str  # the page whose list this is
    self_url: str  # this feed's own address


def _xml_text(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _day_moment(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None


def _add_entry(feed: FeedGenerator, kind: str, card: Card, base_url: str, built_at: datetime,
               note: str | None = None) -> None:
    paper = card.paper
    url = base_url + paper_path(paper.key)
    # The same moment the card's JSON calls publishedAt: when it was listed, else its arXiv day.
    published = card.submitted_at or _day_moment(paper.day)
    entry = feed.add_entry(order="append")
    entry.title(_xml_text(paper.title))
    entry.link(href=url)
    entry.guid(url, permalink=True)
    if published:
        entry.published(published)
    # A fixed `updated` (not the build time) keeps readers from showing old items as changed.
    entry.updated(max((m for m in (published, _day_moment(paper.updated_on)) if m), default=built_at))
    names = [_xml_text(name) for name in paper.authors if name.strip()]
    categories = [{"term": _xml_text(c)} for c in paper.categories]
    if categories:
        entry.category(categories)
    abstract = _xml_text(paper.abstract)
    note = _xml_text(note)
    if kind == "rss":
        # RSS has no author element without an email address: names go in dc:creator.
        if names:
            entry.dc.dc_creator(names)
        entry.description(f"<p>{html.escape(note)}</p><p>{html.escape(abstract)}</p>" if note
                          else html.escape(abstract))
    else:
        if names:
            entry.author([{"name": name} for name in names])
        entry.summary(f"{note}\n\n{abstract}" if note else abstract, type="text")


def render_feed(kind: str, info: FeedInfo, cards: Sequence[Card], base_url: str,
                built_at: datetime | None = None, notes: Mapping[int, str] | None = None) -> bytes:
    """The feed document for `cards`, in their order; `notes` (paper id -> plain text, such as why it
    was recommended) goes before a paper's abstract. No I/O: data in, bytes out."""
    built_at = built_at or datetime.now(UTC)
    feed = FeedGenerator()
    if kind == "rss":
        feed.load_extension("dc", atom=False, rss=True)
    feed.id(info.self_url)
    feed.title(_xml_text(info.title))
    feed.description(_xml_text(info.description))
    feed.link(href=info.self_url, rel="self", type=MEDIA_TYPES[kind].split(";")[0])
    feed.link(href=info.page_url, rel="alternate")  # last: RSS's one <link> is feedgen's last link
    feed.author({"name": "paperfeed"})  # Atom wants an author for entries that name none
    feed.generator("paperfeed")
    for card in cards:
        _add_entry(feed, kind, card, base_url, built_at, (notes or {}).get(card.paper.id))
    entries = feed.entry()
    feed.updated(max((entry.updated() for entry in entries), default=built_at))
    return feed.rss_str() if kind == "rss" else feed.atom_str()


def _site(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def _self_url(request: Request, settings: Settings) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{_site(settings)}{request.url.path}{query}"


def _respond(request: Request, settings: Settings, kind: str, title: str, description: str, page_path: str,
             cards: Sequence[Card]) -> Response:
    info = FeedInfo(title, description, _site(settings) + page_path, _self_url(request, settings))
    return Response(render_feed(kind, info, cards, _site(settings)), media_type=MEDIA_TYPES[kind])


@router.get("/daily.{kind}", summary="The daily feed of a day, week or month (featured, then new on arXiv)")
def daily_feed(request: Request, kind: Kind, conn: ConnDep, settings: SettingsDep, day: Day = None,
               week: Week = None, month: Month = None):
    period = lists.feed_period(conn, settings, day.isoformat() if day else None, week, month)
    feed = lists.daily_feed(conn, settings, None, period, limit=links.DAILY_PER_PAGE)
    featured = {card.paper.id for card in feed.featured}
    cards = feed.featured + [card for card in feed.new if card.paper.id not in featured]
    explicit = day or week or month  # without one, the feed follows the latest day, as the front page does
    followed = f", then new on arXiv in {', '.join(settings.categories)}" if settings.categories else ""
    return _respond(request, settings, kind, f"Daily papers · {period.label}",
                    f"Papers featured on the daily list, most upvoted first{followed}",
                    links.daily_url(period) if explicit else "/", cards)


@router.get("/trending.{kind}", summary="Papers with the most recent upvotes")
def trending_feed(request: Request, kind: Kind, conn: ConnDep, settings: SettingsDep, window: Window = "week"):
    result, _ = lists.trending(conn, None, window, limit=links.DAILY_PER_PAGE)
    return _respond(request, settings, kind, f"Trending papers · past {window}",
                    f"Papers ranked by time-decayed upvotes over the past {window}",
                    f"/trending?{urlencode({'window': window})}", result.cards)


@router.get("/categories/{category}.{kind}", summary="A category's newest papers")
def category_feed(request: Request, category: CategoryName, kind: Kind, conn: ConnDep,
                  settings: SettingsDep):
    result = lists.category(conn, None, category, limit=links.LIST_PER_PAGE)
    if not result.cards and category not in settings.categories:  # the category page's rule
        raise NotFound(f"no papers in category {category!r}")
    return _respond(request, settings, kind, f"New in {category}", f"The newest papers in {category}",
                    category_path(category), result.cards)


@router.get("/search.{kind}", summary="The first page of a search, with the search page's filters")
def search_feed(request: Request, kind: Kind, conn: ConnDep, settings: SettingsDep, search_service: SearchDep,
                q: Text = "", since: Since = None, until: Until = None, category: Categories = [],  # noqa: B006
                author: Authors = [], sort: Sort = "relevance"):  # noqa: B006
    filters = Filters.from_input(since, until, category, author)
    if search_service is None:
        # A feed reader is no browser: it gets the error as /api/papers/search gives it.
        return json_error(503, NO_INDEX)
    results = run_search(search_service, q, filters, offset=0, limit=links.SEARCH_PER_PAGE, sort=sort,
                                similar=None)
    cards = load_cards(conn, [hit.paper for hit in results.hits], None) if results else []
    described = q.strip() or "the filters"
    return _respond(request, settings, kind, f"Search: {described[:80]}", f"Papers matching {described[:200]}",
                    f"/search?{request.url.query}" if request.url.query else "/search", cards)
