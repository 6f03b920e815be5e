"""A paper's own page: everything known about it, its upvotes, and similar papers."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request

from paperfeed.db.papers import get_paper
from paperfeed.errors import PaperfeedError
from paperfeed.web.cards import card_json, load_cards
from paperfeed.web.deps import ConnDep, SearchDep, UserDep
from paperfeed.web.render import respond

log = logging.getLogger(__name__)

router = APIRouter()
SIMILAR = 6


@router.get("/papers/{key:path}", summary="A paper's page (or its JSON)")
def paper_page(request: Request, key: str, conn: ConnDep, search: SearchDep, user: UserDep):
    paper = get_paper(conn, key)
    card = load_cards(conn, [paper], user)[0]
    similar = []
    if search is not None:
        try:
            hits = search.similar(paper.key, limit=SIMILAR).hits
        except PaperfeedError as exc:  # a stale index must not take the page down
            log.warning("similar papers for %s: %s", paper.key, exc)
            hits = []
        similar = load_cards(conn, [hit.paper for hit in hits], user)
    body = {**card_json(card), "similar": [card_json(c) for c in similar]}
    return respond(request, "paper.html", {"card": card, "similar": similar, "search_ready": search is not None},
                   body)
