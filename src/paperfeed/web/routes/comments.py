"""A paper's discussion: the forms on the paper page (post, reply, edit, delete) and the JSON API.

Forms post to /papers/{key}/comments, /comments/{id}/edit and /comments/{id}/delete and are sent back
to the comment on its paper page (303); asked for JSON (app.js does), they answer with the comment and
its rendered HTML, so the page changes without a reload. Scripts use /api/papers/{id}/comments and
/api/comments/{id}. Mentions are mailed right after the response when SMTP is set up (and by the
`mentions` job for any the post could not send).
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, Body, Form, Request
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from paperfeed.config import Settings
from paperfeed.db.comments import CommentRow, get_comment
from paperfeed.db.papers import get_paper
from paperfeed.db.users import User
from paperfeed.discussion import (
    MAX_COMMENT_CHARS,
    delete_comment,
    edit_comment,
    paper_discussion,
    post_comment,
    send_owed_mentions,
)
from paperfeed.errors import NotFound
from paperfeed.web import api_models
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.api_models import API_ERRORS
from paperfeed.web.cards import paper_path
from paperfeed.web.comments_view import comment_json, comment_view, thread_views
from paperfeed.web.deps import ConnDep, EngineDep, UserDep
from paperfeed.web.render import JsonResponse, respond, wants_json

log = logging.getLogger(__name__)
router = APIRouter(tags=["discussion"])
api_router = APIRouter(prefix="/api", tags=["discussion"], responses=API_ERRORS)
BodyField = Annotated[str, Form(alias="body", max_length=MAX_COMMENT_CHARS * 2)]
SIGN_IN_TO_COMMENT = "Sign in to comment."


def _mail_mentions(engine: sa.Engine, settings: Settings) -> None:
    """After the response: mail the readers the comment named. A failure waits for the mentions job."""
    from paperfeed.digest.mailer import Mailer

    try:
        with Mailer(settings) as mailer:
            send_owed_mentions(engine, settings, mailer)
    except Exception as exc:  # the notices stay owed (or are noted as refused): nothing is lost
        log.warning("mention mails not sent now, the mentions job will try again: %s", exc)


def _after_change(request: Request, background: BackgroundTasks) -> None:
    settings: Settings = request.app.state.settings
    if settings.smtp_host:
        background.add_task(_mail_mentions, request.app.state.engine, settings)


def _signed_in(request: Request, user: User | None, back: str) -> User | Response:
    if user is not None:
        request.app.state.rate_limiter.hit("comment", ip=client_address(request), account=str(user.id))
        return user
    if wants_json(request) or request.url.path.startswith("/api/"):
        raise HTTPException(401, SIGN_IN_TO_COMMENT)
    return RedirectResponse("/sign-in?" + urlencode({"next": back, "why": "comment"}), status_code=303)


def _comment_page_path(key: str, comment_id: int | None = None) -> str:
    return paper_path(key) + (f"#comment-{comment_id}" if comment_id else "#discussion")


def _answer(request: Request, row: CommentRow, viewer: User, status: int = 200) -> Response:
    """JSON: the comment, and its HTML as the page shows it (a new top-level comment with its reply box);
    a form: back to the comment on its paper's page."""
    key = row.paper_key
    if not wants_json(request):
        return RedirectResponse(_comment_page_path(key, row.id), status_code=303)
    view = comment_view(row, viewer)
    template = "comments/_comment.html" if row.parent_id else "comments/_thread_item.html"
    html = request.app.state.templates.get_template(template).render(
        comment=view, top=view, paper_key=key, user=viewer, csrf_token=getattr(request.state, "csrf_token", ""),
        max_comment_chars=MAX_COMMENT_CHARS)
    return JsonResponse({"comment": comment_json(view), "paper": key, "html": html}, status_code=status)


# --- the forms ------------------------------------------------------------------------------------

@router.post("/papers/{key:path}/comments", summary="Comment on a paper, or reply to a comment (form or JSON)",
             status_code=201)
def post_form(request: Request, key: str, engine: EngineDep, user: UserDep, background: BackgroundTasks,
              body: BodyField = "", parent: Annotated[int | None, Form()] = None):
    author = _signed_in(request, user, _comment_page_path(key))
    if isinstance(author, Response):
        return author
    row = post_comment(engine, author, key, body, parent_id=parent)
    _after_change(request, background)
    return _answer(request, row, author, status=201)


@router.get("/comments/{comment_id}/edit", summary="The form to edit your comment (without JavaScript)")
def edit_page(request: Request, comment_id: int, conn: ConnDep, user: UserDep):
    row = get_comment(conn, comment_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no comment {comment_id}")
    if user is None:
        return RedirectResponse("/sign-in?" + urlencode({"next": request.url.path, "why": "comment"}),
                                status_code=303)
    if row.user_id != user.id:
        raise HTTPException(403, "only its author can change a comment")
    return respond(request, "comments/edit.html", {"comment": comment_view(row, user), "paper_key": row.paper_key},
                   comment_json(comment_view(row, user)))


@router.post("/comments/{comment_id}/edit", summary="Edit your comment (form or JSON)")
def edit_form(request: Request, comment_id: int, engine: EngineDep, user: UserDep, background: BackgroundTasks,
              body: BodyField = ""):
    author = _signed_in(request, user, f"/comments/{comment_id}/edit")
    if isinstance(author, Response):
        return author
    row = edit_comment(engine, author, comment_id, body)
    _after_change(request, background)
    return _answer(request, row, author)


@router.post("/comments/{comment_id}/delete", summary="Delete your comment (form or JSON)")
def delete_form(request: Request, comment_id: int, engine: EngineDep, user: UserDep):
    author = _signed_in(request, user, "/")
    if isinstance(author, Response):
        return author
    row = delete_comment(engine, author, comment_id)
    if wants_json(request):
        return JsonResponse({"deleted": row.id, "paper": row.paper_key})
    return RedirectResponse(_comment_page_path(row.paper_key), status_code=303)


# --- the API ---------------------------------------------------------------------------------------

CommentText = Annotated[str, Body(embed=True, max_length=MAX_COMMENT_CHARS * 2)]


@api_router.get("/papers/{paper_id:path}/comments", response_model=api_models.CommentThread,
                summary="A paper's discussion (comments with their replies)")
def api_thread(paper_id: str, conn: ConnDep, user: UserDep):
    paper = get_paper(conn, paper_id, exact=True)
    views = thread_views(paper_discussion(conn, paper.id), user)
    return JsonResponse({"paper": paper.key, "comments": [comment_json(view) for view in views]})


@api_router.post("/papers/{paper_id:path}/comments", status_code=201, response_model=api_models.CommentPosted,
             summary="Comment on a paper (an API token, or signed in with X-CSRF-Token)")
def api_post(request: Request, paper_id: str, engine: EngineDep, user: UserDep, background: BackgroundTasks,
             body: CommentText, parentId: Annotated[int | None, Body(embed=True)] = None):  # noqa: N803 (the API's name)
    author = _signed_in(request, user, "/")
    row = post_comment(engine, author, paper_id, body, parent_id=parentId)
    _after_change(request, background)
    return JsonResponse({"comment": comment_json(comment_view(row, author))}, status_code=201)


@api_router.patch("/comments/{comment_id}", response_model=api_models.CommentPosted, summary="Edit your comment")
def api_edit(request: Request, comment_id: int, engine: EngineDep, user: UserDep, background: BackgroundTasks,
             body: CommentText):
    author = _signed_in(request, user, "/")
    row = edit_comment(engine, author, comment_id, body)
    _after_change(request, background)
    return JsonResponse({"comment": comment_json(comment_view(row, author))})


@api_router.delete("/comments/{comment_id}", response_model=api_models.CommentDeleted, summary="Delete your comment")
def api_delete(request: Request, comment_id: int, engine: EngineDep, user: UserDep):
    author = _signed_in(request, user, "/")
    row = delete_comment(engine, author, comment_id)
    return JsonResponse({"deleted": row.id})
