"""A paper's discussion: the rules of posting, replying, editing and deleting a comment, the shape of a
thread, and the mails owed to the readers a comment names. The pages, the API and the CLI call these;
the store (db/comments.py) only reads and writes.

- Replies are one level deep: a reply to a reply joins the thread of the top-level comment.
- Only a comment's author edits or deletes it (Forbidden otherwise); an edit is marked as one.
- A deleted comment with replies stays as "deleted" so the replies keep their place; without replies
  it is gone, and so is a deleted parent whose last reply goes.
- `@username` in a comment owes that reader one mail per comment (not per edit), unless it is the
  author or the reader has turned mention mail off; send_owed_mentions() sends them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import comments as store
from paperfeed.db.comments import CommentRow
from paperfeed.db.papers import get_paper
from paperfeed.db.users import User
from paperfeed.errors import Forbidden, InvalidInput, NotFound
from paperfeed.web.comment_markup import mentioned_usernames

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 10_000
SETTINGS_PATH = "/account/settings"  # where a reader turns mention mail off


@dataclass(frozen=True, slots=True)
class Comment:
    row: CommentRow
    replies: list[CommentRow] = field(default_factory=list)


def clean_body(body: str | None) -> str:
    """The comment as it will be stored, or InvalidInput saying what is wrong with it."""
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInput("a comment needs some text")
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"a comment is at most {MAX_COMMENT_CHARS:,} characters (this one has {len(text):,})")
    return text


def thread_of(rows: list[CommentRow]) -> list[Comment]:
    """Top-level comments oldest first, each with its replies oldest first (rows as paper_thread reads them)."""
    tops = {row.id: Comment(row) for row in rows if row.parent_id is None}
    for row in rows:
        if row.parent_id is not None and row.parent_id in tops:
            tops[row.parent_id].replies.append(row)
    return list(tops.values())


def paper_discussion(conn: sa.Connection, paper_id: int) -> list[Comment]:
    return thread_of(store.paper_thread(conn, paper_id))


def _owe_mentions(conn: sa.Connection, author: User, comment_id: int, body: str, now: datetime) -> list[int]:
    named = store.users_by_username(conn, mentioned_usernames(body))
    readers = [target.user_id for target in named.values() if target.user_id != author.id and target.mention_mail]
    store.owe_mention_mails(conn, comment_id, readers, now)
    return readers


def post_comment(engine: sa.Engine, author: User, paper_key: str, body: str, *, parent_id: int | None = None,
                 now: datetime | None = None) -> CommentRow:
    """Store a comment (or a reply to `parent_id`, a comment on the same paper) and owe its mention mails."""
    now = now or datetime.now(UTC)
    text = clean_body(body)
    with engine.begin() as conn:
        paper = get_paper(conn, paper_key, exact=True)
        if parent_id is not None:
            parent = store.get_comment(conn, parent_id)
            if parent is None or parent.paper_id != paper.id:
                raise NotFound(f"no comment {parent_id} on this paper to reply to")
            parent_id = parent.parent_id or parent.id  # one level deep
        comment_id = store.insert_comment(conn, paper.id, author.id, text, parent_id, now)
        _owe_mentions(conn, author, comment_id, text, now)
        return store.get_comment(conn, comment_id)


def _own_comment(conn: sa.Connection, author: User, comment_id: int) -> CommentRow:
    row = store.get_comment(conn, comment_id)
    if row is None or row.deleted_at is not None:
        raise NotFound(f"no comment {comment_id}")
    if row.user_id != author.id:
        raise Forbidden("only its author can change a comment")
    return row


def edit_comment(engine: sa.Engine, author: User, comment_id: int, body: str,
                 now: datetime | None = None) -> CommentRow:
    """The author's new text, marked as edited; a reader it newly names is owed a mail."""
    now = now or datetime.now(UTC)
    text = clean_body(body)
    with engine.begin() as conn:
        _own_comment(conn, author, comment_id)
        store.set_body(conn, comment_id, text, now)
        _owe_mentions(conn, author, comment_id, text, now)
        return store.get_comment(conn, comment_id)


def delete_comment(engine: sa.Engine, author: User, comment_id: int, now: datetime | None = None) -> CommentRow:
    """Delete the author's comment; returns it as it was (the caller needs its paper)."""
    now = now or datetime.now(UTC)
    with engine.begin() as conn:
        row = _own_comment(conn, author, comment_id)
        if store.reply_count(conn, comment_id):
            store.mark_deleted(conn, comment_id, now)
        else:
            store.remove_comment(conn, comment_id)
            parent = store.get_comment(conn, row.parent_id) if row.parent_id else None
            if parent is not None and parent.deleted_at is not None and not store.reply_count(conn, parent.id):
                store.remove_comment(conn, parent.id)  # nothing hangs from a deleted comment any more
        return row


def send_owed_mentions(engine: sa.Engine, settings: Settings, mailer, now: datetime | None = None) -> int:
    """Mail every owed mention once; returns how many were sent. A mail the server refuses for good is
    noted with its error and not tried again; when the server cannot take mail now (or is not set up),
    the notice goes back to the queue and the error is raised, for the next run to try again."""
    from paperfeed.digest.mailer import PermanentFailure
    from paperfeed.digest.message import mention_message, paper_url

    now = now or datetime.now(UTC)
    sent = 0
    while True:
        with engine.begin() as conn:
            claimed, owed = store.claim_owed_mentions(conn, now)
        if not claimed:
            return sent
        for position, mention in enumerate(owed):
            link = paper_url(settings.base_url, mention.paper_key) + f"#comment-{mention.comment_id}"
            message = mention_message(settings, to=mention.email, author=mention.author,
                                      paper_title=mention.paper_title, comment=mention.body, link=link,
                                      settings_url=settings.base_url.rstrip("/") + SETTINGS_PATH, now=now)
            error = None
            try:
                mailer.send(message)
                sent += 1
            except PermanentFailure as exc:
                error = str(exc)
                log.warning("mention mail for comment %s refused: %s", mention.comment_id, exc)
            except Exception:
                with engine.begin() as conn:  # not sent: this one and the rest of the batch go back
                    for unsent in owed[position:]:
                        store.unclaim_mention(conn, unsent.comment_id, unsent.user_id)
                raise
            with engine.begin() as conn:
                store.note_mention_sent(conn, mention.comment_id, mention.user_id, now, error)
