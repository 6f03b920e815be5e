"""A paper's own page: everything known about it, its upvotes, and similar papers, with the Highwire
citation_* meta tags reference managers read; the paper as Markdown at /papers/{id}.md (huggingface_hub's
`read_paper`) and as BibTeX at /papers/{id}.bib."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from paperfeed.citations import export_citations
from paperfeed.db.for_you import mark_read
from paperfeed.discussion import MAX_COMMENT_CHARS, paper_discussion
from paperfeed.errors import PaperfeedError
from paperfeed.web import lists
from paperfeed.web.cards import card_json, load_cards, paper_path
from paperfeed.web.citation_meta import citation_meta
from paperfeed.web.comments_view import comment_json, thread_views
from paperfeed.web.deps import ConnDep, EngineDep, SearchDep, SettingsDep, UserDep
from paperfeed.web.paper_markdown import paper_markdown
from paperfeed.web.render import respond, wants_json

log = logging.getLogger(__name__)

router = APIRouter()
SIMILAR = 6
MARKDOWN = "text/markdown; charset=utf-8"
BIBTEX = "application/x-bibtex; charset=utf-8"


# Before the page's route, which would otherwise take "2410.17243.md" for a key.
@router.get("/papers/{key:path}.md", summary="A paper as Markdown (what huggingface_hub's read_paper fetches)",
            response_class=Response, responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}})
def paper_markdown_page(key: str, conn: ConnDep, settings: SettingsDep, user: UserDep):
    card = lists.paper_card(conn, user, key)
    page_url = settings.base_url.rstrip("/") + paper_path(card.paper.key)
    return Response(paper_markdown(card, page_url), media_type=MARKDOWN)


@router.get("/papers/{key:path}.bib", summary="A paper's BibTeX entry (what a reference manager imports)",
            response_class=Response,
            responses={200: {"content": {"application/x-bibtex": {"schema": {"type": "string"}}}}})
def paper_bibtex(key: str, conn: ConnDep, user: UserDep):
    card = lists.paper_card(conn, user, key)
    return Response(export_citations([card.paper], "bibtex"), media_type=BIBTEX)


@router.get("/papers/{key:path}", summary="A paper's page (or its JSON)")
def paper_page(request: Request, key: str, conn: ConnDep, engine: EngineDep, search: SearchDep, settings: SettingsDep,
               user: UserDep):
    card = lists.paper_card(conn, user, key)
    # Opened by the reader: "For you" can hide it (hide_read); private, like their library. Not the
    # JSON: a script reading papers through the API has not read them.
    if user is not None and not wants_json(request):
        with engine.begin() as write:
            mark_read(write, user.id, card.paper.id)
    similar = []
    if search is not None:
        try:
            hits = search.similar(card.paper.key, limit=SIMILAR).hits
        except PaperfeedError as exc:  # a stale index must not take the page down
            log.warning("similar papers for %s: %s", card.paper.key, exc)
            hits = []
        similar = load_cards(conn, [hit.paper for hit in hits], user)
    discussion = thread_views(paper_discussion(conn, card.paper.id), user)
    body = {**card_json(card), "similar": [card_json(c) for c in similar],
            "comments": [comment_json(view) for view in discussion]}
    page_url = settings.base_url.rstrip("/") + paper_path(card.paper.key)
    context = {"card": card, "similar": similar, "search_ready": search is not None,
               "citation_meta": citation_meta(card.paper, page_url), "discussion": discussion,
               "max_comment_chars": MAX_COMMENT_CHARS}
    return respond(request, "paper.html", context, body)
