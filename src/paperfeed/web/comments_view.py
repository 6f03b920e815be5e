"""A paper's discussion as the pages and the JSON show it: each comment's rendered (sanitized) HTML,
who wrote it, when, whether it was edited, and whether the visitor may change it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from paperfeed.db.comments import CommentRow
from paperfeed.db.users import User
from paperfeed.discussion import Comment
from paperfeed.web.comment_markup import render_comment


@dataclass(frozen=True, slots=True)
class CommentView:
    row: CommentRow
    html: Markup  # empty for a deleted comment
    mine: bool  # the visitor wrote it: they may edit and delete it
    replies: tuple[CommentView, ...] = ()

    @property
    def deleted(self) -> bool:
        return self.row.deleted_at is not None

    @property
    def anchor(self) -> str:
        return f"comment-{self.row.id}"


def comment_view(row: CommentRow, viewer: User | None, replies: tuple[CommentView, ...] = ()) -> CommentView:
    html = Markup("") if row.deleted_at is not None else render_comment(row.body)
    return CommentView(row, html, viewer is not None and viewer.id == row.user_id and row.deleted_at is None,
                       replies)


def thread_views(thread: list[Comment], viewer: User | None) -> list[CommentView]:
    return [comment_view(top.row, viewer, tuple(comment_view(reply, viewer) for reply in top.replies))
            for top in thread]


def comment_json(view: CommentView) -> dict[str, Any]:
    """One comment in the JSON of a paper page and of the comments API (replies nested, one level)."""
    row = view.row
    return {
        "id": row.id,
        "parentId": row.parent_id,
        "author": None if view.deleted else row.author,
        "body": None if view.deleted else row.body,  # the Markdown as written
        "html": None if view.deleted else str(view.html),  # rendered and sanitized
        "createdAt": row.created_at.isoformat(),
        "editedAt": row.edited_at.isoformat() if row.edited_at else None,
        "deleted": view.deleted,
        "mine": view.mine,
        "replies": [comment_json(reply) for reply in view.replies],
    }
