"""/discussed: the papers readers here talked about in the past day, week or month, the most recently
discussed first, each with how many comments the window holds."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request

from paperfeed.db.comments import discussed_papers
from paperfeed.db.papers import papers_by_ids
from paperfeed.web import lists
from paperfeed.web.cards import card_json, load_cards
from paperfeed.web.deps import ConnDep, UserDep
from paperfeed.web.links import DAILY_PER_PAGE as PER_PAGE
from paperfeed.web.params import Page, Window
from paperfeed.web.render import respond

router = APIRouter()


@router.get("/discussed", summary="Papers by their most recent comments (past day, week or month)")
def discussed_page(request: Request, conn: ConnDep, user: UserDep, window: Window = "week", page: Page = 1):
    until = datetime.now(UTC)
    rows = discussed_papers(conn, until - lists.TRENDING_WINDOWS[window], until, limit=PER_PAGE + 1,
                            offset=(page - 1) * PER_PAGE)
    more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    found = papers_by_ids(conn, [paper_id for paper_id, _, _ in rows])
    cards = load_cards(conn, [found[paper_id] for paper_id, _, _ in rows if paper_id in found], user)
    in_window = {paper_id: (count, latest) for paper_id, count, latest in rows}
    links = {
        "previousPage": f"/discussed?{urlencode({'window': window, 'page': page - 1})}" if page > 1 else None,
        "nextPage": f"/discussed?{urlencode({'window': window, 'page': page + 1})}" if more else None,
    }
    body = {"window": window, "page": page, "links": links, "papers": [
        {**card_json(card), "commentsInWindow": in_window[card.paper.id][0],
         "lastCommentAt": in_window[card.paper.id][1].isoformat()} for card in cards]}
    context = {"cards": cards, "in_window": in_window, "window": window, "windows": list(lists.TRENDING_WINDOWS),
               "page": page, "links": links, "section": "discussed"}
    return respond(request, "discussed.html", context, body)
