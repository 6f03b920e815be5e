"""The discussion's rules on both stores (SQLite and PostgreSQL): one level of replies, authors only,
soft and hard deletes, counts, and mention notices claimed once however many senders ask."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from factories import store_paper
from paperfeed.db import comments as store
from paperfeed.db.users import User, create_user
from paperfeed.discussion import delete_comment, edit_comment, paper_discussion, post_comment
from paperfeed.errors import Forbidden, NotFound

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(engine):
    store_paper(engine, arxiv_id="1706.03762")
    with engine.begin() as conn:
        ada = User(create_user(conn, "ada@example.org", "ada"), "ada@example.org", "ada")
        bob = User(create_user(conn, "bob@example.org", "Bob"), "bob@example.org", "Bob")
    return ada, bob


def test_threads_counts_permissions_and_deletes(engine, people):
    ada, bob = people
    top = post_comment(engine, ada, "1706.03762", "Top", now=NOW)
    reply = post_comment(engine, bob, "1706.03762", "Reply", parent_id=top.id, now=NOW)
    deeper = post_comment(engine, ada, "1706.03762", "Deeper", parent_id=reply.id, now=NOW)
    assert deeper.parent_id == top.id
    with engine.connect() as conn:
        [thread] = paper_discussion(conn, top.paper_id)
        assert [r.body for r in thread.replies] == ["Reply", "Deeper"] and thread.row.author == "ada"
        assert store.comment_counts(conn, [top.paper_id]) == {top.paper_id: 3}
    with pytest.raises(Forbidden):
        edit_comment(engine, bob, top.id, "mine now")
    with pytest.raises(Forbidden):
        delete_comment(engine, bob, top.id)
    delete_comment(engine, ada, top.id, now=NOW)
    with engine.connect() as conn:
        assert store.get_comment(conn, top.id).deleted_at is not None
        assert store.comment_counts(conn, [top.paper_id]) == {top.paper_id: 2}
    with pytest.raises(NotFound):
        edit_comment(engine, ada, top.id, "back")
    delete_comment(engine, bob, reply.id)
    delete_comment(engine, ada, deeper.id)
    with engine.connect() as conn:
        assert paper_discussion(conn, top.paper_id) == []  # the deleted top went with its last reply


def test_a_mention_notice_is_claimed_by_one_sender_only(engine, people):
    ada, bob = people
    comment = post_comment(engine, ada, "1706.03762", "@bob @BOB @ada look", now=NOW)
    edit_comment(engine, ada, comment.id, "@bob look again", now=NOW)
    with engine.begin() as first:
        claimed, owed = store.claim_owed_mentions(first, NOW)
    with engine.begin() as second:
        assert store.claim_owed_mentions(second, NOW) == (0, [])
    assert claimed == 1 and [(m.user_id, m.author, m.paper_key) for m in owed] == [(bob.id, "ada", "1706.03762")]
