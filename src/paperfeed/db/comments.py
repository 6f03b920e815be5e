"""Comments on papers and the mention mails they owe: reads and writes only (the rules, who may do
what and how a thread is shaped, live in paperfeed.discussion)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import comments, mention_notices, papers, users
from paperfeed.db.users import User


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    paper_id: int
    paper_key: str  # for links back to the comment on its paper's page
    user_id: int
    author: str  # the name others see: their username, else their email's local part
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None


def _public_name(user_id: int, email: str, username: str | None) -> str:
    return User(user_id, email, username).public_name  # the one rule for the name others see


def _select():
    return (sa.select(comments.c.id, comments.c.paper_id, papers.c.key, comments.c.user_id, users.c.email,
                      users.c.username, comments.c.parent_id, comments.c.body, comments.c.created_at,
                      comments.c.edited_at, comments.c.deleted_at)
            .join(users, users.c.id == comments.c.user_id).join(papers, papers.c.id == comments.c.paper_id))


def _row(row) -> CommentRow:
    return CommentRow(row.id, row.paper_id, row.key, row.user_id, _public_name(row.user_id, row.email, row.username),
                      row.parent_id, row.body, row.created_at, row.edited_at, row.deleted_at)


def insert_comment(conn: sa.Connection, paper_id: int, user_id: int, body: str, parent_id: int | None,
                   now: datetime) -> int:
    statement = comments.insert().values(paper_id=paper_id, user_id=user_id, body=body, parent_id=parent_id,
                                         created_at=now).returning(comments.c.id)
    return conn.execute(statement).scalar_one()


def get_comment(conn: sa.Connection, comment_id: int) -> CommentRow | None:
    row = conn.execute(_select().where(comments.c.id == comment_id)).first()
    return _row(row) if row else None


def paper_thread(conn: sa.Connection, paper_id: int) -> list[CommentRow]:
    """Every comment on the paper, oldest first (deleted ones with replies included, body empty)."""
    rows = conn.execute(_select().where(comments.c.paper_id == paper_id).order_by(comments.c.created_at,
                                                                                  comments.c.id))
    return [_row(row) for row in rows]


def set_body(conn: sa.Connection, comment_id: int, body: str, now: datetime) -> None:
    conn.execute(comments.update().where(comments.c.id == comment_id).values(body=body, edited_at=now))


def reply_count(conn: sa.Connection, comment_id: int) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(comments)
                        .where(comments.c.parent_id == comment_id)).scalar_one()


def mark_deleted(conn: sa.Connection, comment_id: int, now: datetime) -> None:
    """Keep the row (its replies hang from it), forget what it said."""
    conn.execute(comments.update().where(comments.c.id == comment_id).values(body="", deleted_at=now))


def remove_comment(conn: sa.Connection, comment_id: int) -> None:
    conn.execute(comments.delete().where(comments.c.id == comment_id))


def comment_counts(conn: sa.Connection, paper_ids: Iterable[int]) -> dict[int, int]:
    """Paper id -> comments that still say something (deleted ones are not counted); every id gets one."""
    ids = set(paper_ids)
    if not ids:
        return {}
    counts = dict.fromkeys(ids, 0)
    rows = conn.execute(sa.select(comments.c.paper_id, sa.func.count())
                        .where(comments.c.paper_id.in_(ids), comments.c.deleted_at.is_(None))
                        .group_by(comments.c.paper_id))
    counts.update({paper_id: count for paper_id, count in rows})
    return counts


def discussed_papers(conn: sa.Connection, since: datetime, until: datetime, limit: int,
                     offset: int = 0) -> list[tuple[int, int, datetime]]:
    """(paper id, comments in the window, latest comment) for papers commented on in [since, until),
    the most recently discussed first."""
    latest = sa.func.max(comments.c.created_at).label("latest")
    rows = conn.execute(
        sa.select(comments.c.paper_id, sa.func.count().label("count"), latest)
        .where(comments.c.created_at >= since, comments.c.created_at < until, comments.c.deleted_at.is_(None))
        .group_by(comments.c.paper_id).order_by(latest.desc(), comments.c.paper_id).limit(limit).offset(offset)
    )
    return [(row.paper_id, row.count, row.latest) for row in rows]


# --- mentions ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MentionTarget:
    user_id: int
    username: str
    email: str
    mention_mail: bool


def users_by_username(conn: sa.Connection, names: Sequence[str]) -> dict[str, MentionTarget]:
    """Case-folded username -> the account, for the names that have one."""
    folded = {name.casefold() for name in names}
    if not folded:
        return {}
    rows = conn.execute(sa.select(users.c.id, users.c.username, users.c.email, users.c.mention_mail)
                        .where(sa.func.lower(users.c.username).in_(folded)))
    return {row.username.casefold(): MentionTarget(row.id, row.username, row.email, row.mention_mail) for row in rows}


def owe_mention_mails(conn: sa.Connection, comment_id: int, user_ids: Iterable[int], now: datetime) -> None:
    """One notice per (comment, reader), however often the comment is edited to name them."""
    rows = [{"comment_id": comment_id, "user_id": user_id, "created_at": now} for user_id in set(user_ids)]
    if rows:
        conn.execute(insert_or_ignore(conn, mention_notices), rows)


@dataclass(frozen=True, slots=True)
class OwedMention:
    comment_id: int
    user_id: int
    email: str
    author: str
    body: str
    paper_key: str
    paper_title: str


def claim_owed_mentions(conn: sa.Connection, now: datetime, limit: int = 100) -> tuple[int, list[OwedMention]]:
    """Take up to `limit` unclaimed notices for this sender: each row is claimed by one conditional
    UPDATE, so two senders never both take it, and a claimed row is never taken again (a sender that
    dies between its claim and the mail loses that mail rather than risk sending it twice). Returns how
    many were claimed and the mails to send: notices of deleted comments, or for readers who turned
    mention mail off, are claimed and not returned."""
    pending = conn.execute(
        sa.select(mention_notices.c.comment_id, mention_notices.c.user_id)
        .where(mention_notices.c.claimed_at.is_(None)).order_by(mention_notices.c.created_at).limit(limit)
    ).all()
    taken = []
    for comment_id, user_id in pending:
        claimed = conn.execute(mention_notices.update().where(
            mention_notices.c.comment_id == comment_id, mention_notices.c.user_id == user_id,
            mention_notices.c.claimed_at.is_(None)).values(claimed_at=now))
        if claimed.rowcount:
            taken.append((comment_id, user_id))
    if not taken:
        return 0, []
    author = sa.alias(users, "author")
    reader = sa.alias(users, "reader")
    rows = conn.execute(
        sa.select(comments.c.id, reader.c.id.label("reader_id"), reader.c.email, reader.c.mention_mail,
                  author.c.id.label("author_id"), author.c.email.label("author_email"),
                  author.c.username.label("author_username"), comments.c.body, comments.c.deleted_at,
                  papers.c.key, papers.c.title)
        .join(author, author.c.id == comments.c.user_id).join(papers, papers.c.id == comments.c.paper_id)
        .join(reader, reader.c.id.in_([user_id for _, user_id in taken]))
        .where(comments.c.id.in_([comment_id for comment_id, _ in taken]))
    )
    wanted = set(taken)
    return len(taken), [
        OwedMention(row.id, row.reader_id, row.email, _public_name(row.author_id, row.author_email,
                                                                   row.author_username), row.body, row.key, row.title)
        for row in rows if (row.id, row.reader_id) in wanted and row.deleted_at is None and row.mention_mail]


def note_mention_sent(conn: sa.Connection, comment_id: int, user_id: int, now: datetime,
                      error: str | None = None) -> None:
    """Sent (or given up on, with the error): the notice is never taken again."""
    conn.execute(mention_notices.update().where(mention_notices.c.comment_id == comment_id,
                                                mention_notices.c.user_id == user_id)
                 .values(sent_at=None if error else now, error=error))


def unclaim_mention(conn: sa.Connection, comment_id: int, user_id: int) -> None:
    """Back to the queue: the sender knows the mail did not go (the server did not take it)."""
    conn.execute(mention_notices.update().where(mention_notices.c.comment_id == comment_id,
                                                mention_notices.c.user_id == user_id,
                                                mention_notices.c.sent_at.is_(None))
                 .values(claimed_at=None))
