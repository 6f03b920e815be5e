"""The library in the store (SQLite and PostgreSQL): collections, saved papers with notes, memberships,
ratings, what the model learns from, one reader's rows out of another's reach, and nothing left behind
when a paper or an account is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from factories import store_paper
from paperfeed.db.collections import (
    collection_by_name,
    create_collection,
    delete_collection,
    get_collection,
    list_collections,
    rename_collection,
)
from paperfeed.db.library import (
    add_to_collection,
    library_page,
    move_paper,
    remove_from_collection,
    save_paper,
    saved_among,
    saved_paper,
    saved_paper_ids,
    set_collections,
    set_note,
    unsave_paper,
)
from paperfeed.db.ratings import clear_rating, clear_ratings, rate_paper, ratings_of, training_signals
from paperfeed.db.schema import collection_papers, collections, papers, ratings, saved_papers, users, votes
from paperfeed.db.users import create_user
from paperfeed.db.votes import cast_vote
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.library import MAX_NOTE, Evidence, training_signals_from

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LIBRARY_TABLES = (collections, saved_papers, collection_papers, ratings)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def store(engine):
    """(engine, ada, bob, [paper ids 1..4]): two readers and four papers."""
    ids = [store_paper(engine, n, abstract=f"Abstract {n} about transformers." if n % 2 else f"Abstract {n}.")
           for n in range(1, 5)]
    with engine.begin() as conn:
        ada, bob = create_user(conn, "ada@example.org"), create_user(conn, "bob@example.org")
    return engine, ada, bob, ids


def rows(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


# --- collections ---------------------------------------------------------------------------------------------

def test_collection_names_are_unique_per_reader_in_any_case_and_trimmed(store):
    engine, ada, bob, _ = store
    with engine.begin() as conn:
        reading = create_collection(conn, ada, "  To   read ", now=T0)
        bobs = create_collection(conn, bob, "to read")  # another reader may use the same name
        with pytest.raises(InvalidInput, match="already"):
            create_collection(conn, ada, "TO READ")
        with pytest.raises(InvalidInput, match="needs a name"):
            create_collection(conn, ada, "   ")
        with pytest.raises(InvalidInput, match="at most 100"):
            create_collection(conn, ada, "x" * 101)
        other = create_collection(conn, ada, "Diffusion")
        with pytest.raises(InvalidInput, match="already"):
            rename_collection(conn, ada, other.id, "to READ")
        renamed = rename_collection(conn, ada, other.id, "diffusion models")
        found = collection_by_name(conn, ada, "TO read")
        made = collection_by_name(conn, ada, "New one", create=True)

        assert (reading.name, reading.created_at) == ("To read", T0)
        assert renamed.name == "diffusion models" and found.id == reading.id and made.name == "New one"
        assert [c.name for c in list_collections(conn, ada)] == ["To read", "diffusion models", "New one"]
        assert [c.name for c in list_collections(conn, bob)] == ["to read"]
        with pytest.raises(NotFound):
            collection_by_name(conn, ada, "nothing")
        assert bobs.id != reading.id


def test_another_readers_collection_is_no_collection_at_all(store):
    engine, ada, bob, ids = store
    with engine.begin() as conn:
        bobs = create_collection(conn, bob, "Bob's secrets")
        save_paper(conn, ada, ids[0])
        attempts = [
            lambda: get_collection(conn, ada, bobs.id),
            lambda: rename_collection(conn, ada, bobs.id, "mine now"),
            lambda: delete_collection(conn, ada, bobs.id),
            lambda: save_paper(conn, ada, ids[1], collection_ids=[bobs.id]),
            lambda: add_to_collection(conn, ada, ids[0], bobs.id),
            lambda: move_paper(conn, ada, ids[0], bobs.id),
            lambda: library_page(conn, ada, collection_id=bobs.id),
            lambda: training_signals(conn, ada, bobs.id),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound, match=f"you have no collection with id {bobs.id}$"):
                attempt()
        assert get_collection(conn, bob, bobs.id).name == "Bob's secrets"
        assert saved_among(conn, ada, ids) == {ids[0]}


# --- saving, notes, memberships -----------------------------------------------------------------------------

def test_save_twice_keeps_the_first_time_and_the_note_given_replaces_the_old(store):
    engine, ada, bob, ids = store
    with engine.begin() as conn:
        first = save_paper(conn, ada, ids[0], note="read §3", now=at(0))
        again = save_paper(conn, ada, ids[0], note="  read §4  ", now=at(5))
        kept = save_paper(conn, ada, ids[0], now=at(6))  # no note given: the note stays

        assert (first, again, kept) == (True, False, False)
        item = saved_paper(conn, ada, ids[0])
        assert (item.saved_at, item.note) == (at(0), "read §4")
        assert set_note(conn, ada, ids[0], "   ") is None and saved_paper(conn, ada, ids[0]).note is None
        with pytest.raises(InvalidInput, match="at most 2,000"):
            set_note(conn, ada, ids[0], "x" * (MAX_NOTE + 1))
        with pytest.raises(NotFound, match="not in your library"):
            set_note(conn, bob, ids[0], "bob cannot annotate ada's save")
        with pytest.raises(NotFound, match="no paper with id 999"):
            save_paper(conn, ada, 999)
        assert saved_paper(conn, bob, ids[0]) is None


def test_a_paper_in_several_collections_moves_copies_and_leaves_them_with_unsave(store):
    engine, ada, _, ids = store
    with engine.begin() as conn:
        a, b, c = (create_collection(conn, ada, name).id for name in ("A", "B", "C"))
        save_paper(conn, ada, ids[0], collection_ids=[a, b, a])
        assert saved_paper(conn, ada, ids[0]).collection_ids == (a, b)

        move_paper(conn, ada, ids[0], c, from_id=a)  # out of A only
        assert saved_paper(conn, ada, ids[0]).collection_ids == (b, c)
        add_to_collection(conn, ada, ids[0], a)  # a copy
        assert saved_paper(conn, ada, ids[0]).collection_ids == (a, b, c)
        move_paper(conn, ada, ids[0], b)  # from the library's "All": into B alone
        assert saved_paper(conn, ada, ids[0]).collection_ids == (b,)
        remove_from_collection(conn, ada, ids[0], b)
        assert saved_paper(conn, ada, ids[0]).collection_ids == ()
        set_collections(conn, ada, ids[0], [c, a])
        assert saved_paper(conn, ada, ids[0]).collection_ids == (a, c)
        with pytest.raises(NotFound, match="not in your library"):
            add_to_collection(conn, ada, ids[1], a)

        delete_collection(conn, ada, a)  # the paper stays saved, in C
        assert saved_paper(conn, ada, ids[0]).collection_ids == (c,)
        assert unsave_paper(conn, ada, ids[0]) and not unsave_paper(conn, ada, ids[0])
        assert [col.papers for col in list_collections(conn, ada)] == [0, 0]
    assert rows(engine, collection_papers) == 0


def test_library_pages_newest_saved_first_by_collection_and_by_text(store):
    engine, ada, bob, ids = store
    with engine.begin() as conn:
        reading = create_collection(conn, ada, "Reading").id
        for minute, paper_id in enumerate(ids):
            save_paper(conn, ada, paper_id, now=at(minute), collection_ids=[reading] if minute < 2 else [],
                       note="Follow up 50%_off" if paper_id == ids[3] else None)
        save_paper(conn, bob, ids[0], note="bob's transformers note")

        everything = library_page(conn, ada, limit=3)
        second = library_page(conn, ada, offset=3, limit=3)
        in_reading = library_page(conn, ada, collection_id=reading)
        by_abstract = library_page(conn, ada, text="TRANSFORMERS")  # papers 1 and 3
        by_author = library_page(conn, ada, text="shazeer")
        by_note = library_page(conn, ada, text="50%_")  # LIKE's wildcards taken literally
        wildcard = library_page(conn, ada, text="%")
        bobs = library_page(conn, bob, text="transformers")

    assert [i.paper_id for i in everything.items] == [ids[3], ids[2], ids[1]] and everything.total == 4
    assert [i.paper_id for i in second.items] == [ids[0]] and second.total == 4
    assert [i.paper_id for i in in_reading.items] == [ids[1], ids[0]] and in_reading.items[0].collection_ids == (
        reading,)
    assert [i.paper_id for i in by_abstract.items] == [ids[2], ids[0]] and by_abstract.total == 2
    assert by_author.total == 4
    assert [i.paper_id for i in by_note.items] == [ids[3]]
    assert wildcard.total == 1  # only the note holds a literal "%"
    assert [i.paper_id for i in bobs.items] == [ids[0]]  # bob's own save, through his own note


def test_saved_paper_ids_for_an_export(store):
    engine, ada, _, ids = store
    with engine.begin() as conn:
        reading = create_collection(conn, ada, "Reading").id
        save_paper(conn, ada, ids[0], now=at(0), collection_ids=[reading])
        save_paper(conn, ada, ids[1], now=at(1))
        save_paper(conn, ada, ids[2], now=at(2), collection_ids=[reading])
        assert saved_paper_ids(conn, ada) == [ids[2], ids[1], ids[0]]
        assert saved_paper_ids(conn, ada, reading) == [ids[2], ids[0]]


# --- ratings and what the model learns from ----------------------------------------------------------------

def test_ratings_replace_each_other_and_clear(store):
    engine, ada, bob, ids = store
    with engine.begin() as conn:
        rate_paper(conn, ada, ids[0], 1, now=at(0))
        rate_paper(conn, ada, ids[0], 1, now=at(3))  # the same again: the first time stays
        rate_paper(conn, ada, ids[1], 1, now=at(1))
        rate_paper(conn, ada, ids[1], -1, now=at(2))  # changed: the new time
        rate_paper(conn, bob, ids[2], -1)
        assert ratings_of(conn, ada, ids) == {ids[0]: 1, ids[1]: -1}
        assert ratings_of(conn, None, ids) == {}
        assert [s.at for s in training_signals(conn, ada).positives] == [at(0)]
        assert training_signals(conn, ada).negatives[0].at == at(2)
        with pytest.raises(NotFound):
            rate_paper(conn, ada, 999, 1)
        with pytest.raises(ValueError):
            rate_paper(conn, ada, ids[0], 2)
        assert clear_rating(conn, ada, ids[0]) and not clear_rating(conn, ada, ids[0])
        assert clear_ratings(conn, ada) == 1
        assert ratings_of(conn, ada, ids) == {} and ratings_of(conn, bob, ids) == {ids[2]: -1}


def test_training_signals_of_the_library_and_of_one_collection(store):
    engine, ada, bob, (one, two, three, four) = store
    with engine.begin() as conn:
        reading = create_collection(conn, ada, "Reading").id
        save_paper(conn, ada, one, now=at(0), collection_ids=[reading])
        save_paper(conn, ada, two, now=at(1))
        save_paper(conn, ada, three, now=at(2), collection_ids=[reading])
        cast_vote(conn, ada, two)
        cast_vote(conn, ada, four)
        rate_paper(conn, ada, one, 1, now=at(3))
        rate_paper(conn, ada, three, -1, now=at(4))  # saved, then "less like this": a negative
        rate_paper(conn, bob, two, -1)  # bob's rating is nothing to ada
        conn.execute(votes.update().where(votes.c.user_id == ada, votes.c.paper_id == two).values(created_at=at(5)))
        conn.execute(votes.update().where(votes.c.user_id == ada, votes.c.paper_id == four).values(created_at=at(-1)))

        library = training_signals(conn, ada)
        collection = training_signals(conn, ada, reading)
        bobs = training_signals(conn, bob)

    assert library.positive_ids == [two, one, four]  # newest first by each paper's latest reason
    assert [s.kinds for s in library.positives] == [("upvoted", "saved"), ("more", "saved"), ("upvoted",)]
    assert [(s.paper_id, s.kinds, s.at) for s in library.negatives] == [(three, ("less",), at(4))]
    assert collection.positive_ids == [one] and collection.positives[0].kinds == ("saved",)
    assert collection.negative_ids == [three]
    assert bobs.positive_ids == [] and bobs.negative_ids == [two]


@pytest.mark.parametrize(("done", "positives", "negatives"), [
    ([], [], []),
    ([(1, "saved", 0)], [(1, ("saved",))], []),
    ([(1, "saved", 0), (1, "upvoted", 2), (1, "more", 1)], [(1, ("upvoted", "more", "saved"))], []),
    ([(1, "saved", 0), (1, "less", 1)], [], [(1, ("less",))]),
    ([(1, "upvoted", 0), (2, "more", 1), (3, "less", 2)], [(2, ("more",)), (1, ("upvoted",))], [(3, ("less",))]),
])
def test_the_rule_of_what_the_model_learns_from(done, positives, negatives):
    signals = training_signals_from(Evidence(paper, kind, at(minute)) for paper, kind, minute in done)
    assert [(s.paper_id, s.kinds) for s in signals.positives] == positives
    assert [(s.paper_id, s.kinds) for s in signals.negatives] == negatives


# --- nothing left behind -------------------------------------------------------------------------------------

def _fill_library(engine, user_id: int, paper_ids: list[int]) -> None:
    with engine.begin() as conn:
        shelf = create_collection(conn, user_id, f"shelf of {user_id}").id
        for paper_id in paper_ids:
            save_paper(conn, user_id, paper_id, note="mine", collection_ids=[shelf])
            rate_paper(conn, user_id, paper_id, 1)


def test_deleting_a_paper_deletes_its_saves_memberships_and_ratings(store):
    engine, ada, bob, ids = store
    _fill_library(engine, ada, ids[:2])
    _fill_library(engine, bob, ids[:1])
    with engine.begin() as conn:
        conn.execute(papers.delete().where(papers.c.id == ids[0]))

    with engine.connect() as conn:
        for table in (saved_papers, collection_papers, ratings):
            left = set(conn.execute(sa.select(table.c.paper_id)).scalars())
            assert left == {ids[1]}, table.name
        assert [c.papers for c in list_collections(conn, ada)] == [1]
        assert [c.papers for c in list_collections(conn, bob)] == [0]


def test_deleting_an_account_deletes_its_whole_library(store):
    engine, ada, bob, ids = store
    _fill_library(engine, ada, ids)
    _fill_library(engine, bob, ids[:1])
    before = {table.name: rows(engine, table) for table in LIBRARY_TABLES}
    with engine.begin() as conn:
        conn.execute(users.delete().where(users.c.id == ada))

    with engine.connect() as conn:
        for table in LIBRARY_TABLES:
            assert set(conn.execute(sa.select(table.c.user_id)).scalars()) == {bob}, table.name
    assert before == {"collections": 2, "saved_papers": 5, "collection_papers": 5, "ratings": 5}
