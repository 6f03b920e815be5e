""""These are my papers" (`/library/mine?name=...`, signed in): the store's papers under an author name,
grouped so that namesakes can be told apart (namesakes.group_namesakes: shared co-authors, then
categories), each group with its co-authors, categories and years, one "Save these papers" form and
each paper's own Save button. POST /library/mine/save saves a group's papers to the reader's library
and comes back to the page saying how many were saved.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse

from paperfeed.db.library import save_paper
from paperfeed.db.papers import get_paper
from paperfeed.namesakes import group_namesakes
from paperfeed.web import library, lists
from paperfeed.web.cards import card_json
from paperfeed.web.deps import ConnDep, EngineDep, SearchDep, UserDep
from paperfeed.web.render import respond

router = APIRouter()
MINE = "/library/mine"
CANDIDATES = 100  # an author name's papers looked at, newest first (the most a search answers at once)
NameQuery = Annotated[str, Query(max_length=300, description="Your name as papers write it.")]
SavedQuery = Annotated[int | None, Query(ge=0, le=CANDIDATES, description="How many papers a save just added.")]
PaperKeys = Annotated[list[Annotated[str, Form(max_length=300)]],
                      Form(alias="paper", max_length=CANDIDATES, description="The papers' keys or arXiv ids.")]
NameField = Annotated[str, Form(max_length=300)]
SIGNED_OUT = {303: {"description": "Signed out: to the sign-in page (asked for JSON, a 401)."}}


def mine_url(name: str, saved: int | None = None) -> str:
    query = {"name": name} if name else {}
    if saved is not None:
        query["saved"] = str(saved)
    return MINE + (f"?{urlencode(query)}" if query else "")


@router.get(MINE, responses=SIGNED_OUT, summary='"These are my papers": papers under your name, namesakes apart')
def my_papers(request: Request, conn: ConnDep, search: SearchDep, user: UserDep, name: NameQuery = "",
              saved: SavedQuery = None):
    name = " ".join(name.split())
    if user is None:
        return library.to_sign_in(request, mine_url(name))
    cards = lists.author(conn, search, user, name, limit=CANDIDATES).cards if name else []
    by_id = {card.paper.id: card for card in cards}
    groups = [(group, [by_id[i] for i in group.paper_ids]) for group in group_namesakes(name, [c.paper for c in cards])]
    body = {"name": name, "saved": saved, "groups": [
        {"coauthors": list(group.coauthors), "categories": list(group.categories), "firstYear": group.first_year,
         "lastYear": group.last_year, "papers": [card_json(card) for card in members]}
        for group, members in groups]}
    context = {"name": name, "groups": groups, "saved": saved, "section": "library",
               "total": sum(len(members) for _, members in groups)}
    return respond(request, "library/mine.html", context, body, headers=library.PRIVATE)


@router.post(MINE + "/save", responses={303: {"description": "Back to the page, saying how many were saved."}},
             summary="Save a group of your papers to your library (form)")
def save_group(request: Request, engine: EngineDep, user: UserDep, paper: PaperKeys, name: NameField = ""):
    if user is None:
        return library.to_sign_in(request, mine_url(name))
    library.count(request, "library", user)
    with engine.begin() as conn:
        added = sum(save_paper(conn, user.id, get_paper(conn, key, exact=True).id) for key in dict.fromkeys(paper))
    return RedirectResponse(mine_url(name, added), status_code=303)
