"""The store against real databases (a SQLite file, and PostgreSQL when its URL is set): migrations,
merging upserts, lookups, listings, votes, checkpoints, stats, timestamps and odd text."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from factories import make_record
from paperfeed.db import migrate
from paperfeed.db.checkpoints import (
    clear_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from paperfeed.db.listings import listings_on, upsert_listings
from paperfeed.db.papers import count_papers, get_paper, papers_by_ids, upsert_papers
from paperfeed.db.schema import (
    checkpoints,
    listings,
    metadata,
    paper_categories,
    papers,
    users,
    votes,
)
from paperfeed.db.stats import store_stats
from paperfeed.db.votes import cast_vote, create_user, retract_vote, vote_count
from paperfeed.errors import InvalidInput, InvalidRecord, NotFound
from paperfeed.models import Listing
from paperfeed.normalize import normalize_record

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)


def upsert(engine, *records, now=T0):
    """Normalize and store records in one transaction, as ingest does."""
    with engine.begin() as conn:
        return upsert_papers(conn, [normalize_record(r) for r in records], now=now)


def table_rows(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(sa.select(table)))


def stored(engine, *tables) -> dict[str, list[tuple]]:
    return {table.name: table_rows(engine, table) for table in tables}


def read_paper(engine, key: str):
    with engine.connect() as conn:
        return get_paper(conn, key)


def add_user(engine, email="reader@example.org") -> int:
    with engine.begin() as conn:
        return create_user(conn, email)


# --- migrations ----------------------------------------------------------------------------


def test_migrations_create_exactly_the_schema(engine):
    assert set(sa.inspect(engine).get_table_names()) == {*metadata.tables, "alembic_version"}
    assert migrate.current_revision(engine) == migrate.head_revision() is not None
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []  # schema.py and migrations agree


def test_upgrade_twice_is_a_noop(engine):
    upsert(engine, make_record())
    before = stored(engine, papers, paper_categories)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert stored(engine, papers, paper_categories) == before


def test_downgrade_to_base_then_upgrade(engine):
    upsert(engine, make_record())
    migrate.downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        assert count_papers(conn) == 0
    assert upsert(engine, make_record()).added == 1


# --- upserting papers ----------------------------------------------------------------------

BATCH = [
    make_record(source="arxiv-oai", version=2, published_on=date(2017, 6, 12),
                updated_on=date(2017, 12, 6)),
    make_record(source="hf-daily", code_url="https://github.com/tensorflow/tensor2tensor"),
    make_record(arxiv_id="2104.12255", source="arxiv-api", title="Another Paper",
                authors=("Ada Lovelace",), categories=("stat.ML",)),
    make_record(arxiv_id=None, doi="10.1000/xyz", title="A Journal Paper",
                authors=("Grace Hopper",)),
    make_record(arxiv_id=None, title="A Title-only Paper", authors=("Alan Turing",),
                categories=()),
]


def test_upsert_adds_then_the_same_batch_changes_nothing(engine):
    first = upsert(engine, *BATCH, now=T0)
    assert first.added == 4  # the HF record merges into the arXiv one within the batch
    assert first.paper_ids[0] == first.paper_ids[1]
    before = stored(engine, papers, paper_categories)

    again = upsert(engine, *BATCH, now=T1)
    assert (again.added, again.updated, again.unchanged) == (0, 0, len(BATCH))
    assert again.paper_ids == first.paper_ids
    assert stored(engine, papers, paper_categories) == before  # modified_at included


def test_new_arxiv_version_updates_the_existing_row(engine):
    v1 = upsert(engine, make_record(source="arxiv-oai", version=1, title="Old title"), now=T0)
    v2 = upsert(engine, make_record(source="arxiv-oai", version=2, title="New title"), now=T1)
    assert (v2.added, v2.updated) == (0, 1)
    assert v2.paper_ids == v1.paper_ids
    stored_paper = read_paper(engine, "1706.03762")
    assert stored_paper.id == v1.paper_ids[0]
    assert (stored_paper.title, stored_paper.version) == ("New title", 2)
    with engine.connect() as conn:
        assert count_papers(conn) == 1
        created_at, modified_at = conn.execute(
            sa.select(papers.c.created_at, papers.c.modified_at)
        ).one()
    assert (created_at, modified_at) == (T0, T1)


def test_same_paper_from_two_sources_is_one_row(engine):
    arxiv = make_record(source="arxiv-oai", version=1, abstract="The arXiv abstract.")
    hf = make_record(source="hf-daily", title="Attention is all you need",
                     abstract="An HF summary.", code_url="https://github.com/tensorflow/tensor2tensor")
    first = upsert(engine, arxiv)
    second = upsert(engine, hf)
    assert second.paper_ids == first.paper_ids and second.updated == 1
    with engine.connect() as conn:
        assert count_papers(conn) == 1
    stored_paper = read_paper(engine, "1706.03762")
    assert stored_paper.sources == ["arxiv-oai", "hf-daily"]
    assert stored_paper.code_url == hf.code_url
    assert (stored_paper.title, stored_paper.abstract) == (arxiv.title, "The arXiv abstract.")


def test_doi_record_then_arxiv_record_is_one_row_with_the_arxiv_key(engine):
    first = upsert(engine, make_record(arxiv_id=None, doi="10.1000/xyz", source="bibtex"))
    assert read_paper(engine, "doi:10.1000/xyz").id == first.paper_ids[0]
    second = upsert(engine, make_record(source="arxiv-oai", doi="10.1000/xyz"))
    assert second.paper_ids == first.paper_ids
    with engine.connect() as conn:
        assert count_papers(conn) == 1
    stored_paper = read_paper(engine, "1706.03762")
    assert (stored_paper.key, stored_paper.arxiv_id) == ("1706.03762", "1706.03762")
    assert stored_paper.doi == "10.1000/xyz"
    assert stored_paper.sources == ["arxiv-oai", "bibtex"]


def test_title_only_record_then_arxiv_record_is_one_row(engine):
    first = upsert(
        engine, make_record(arxiv_id=None, source="csv", title="Attention is all you need.")
    )
    second = upsert(engine, make_record(source="arxiv-oai", title="Attention Is All You Need"))
    assert second.paper_ids == first.paper_ids
    with engine.connect() as conn:
        assert count_papers(conn) == 1
    stored_paper = read_paper(engine, "1706.03762")
    assert (stored_paper.key, stored_paper.title) == ("1706.03762", "Attention Is All You Need")


def test_same_title_different_first_authors_stay_apart(engine):
    upsert(
        engine,
        make_record(arxiv_id=None, title="A Survey of Graph Neural Networks",
                    authors=("Alice Zed",)),
        make_record(arxiv_id=None, title="A Survey of Graph Neural Networks",
                    authors=("Bob Yak",)),
    )
    upsert(engine, make_record(arxiv_id="2001.00001", source="arxiv-oai",
                               title="A survey of graph neural networks", authors=("Carol Xu",)))
    with engine.connect() as conn:
        assert count_papers(conn) == 3
        authors = conn.execute(sa.select(papers.c.authors)).scalars()
        assert sorted(names[0] for names in authors) == ["Alice Zed", "Bob Yak", "Carol Xu"]


def test_duplicates_inside_one_batch_merge(engine):
    outcome = upsert(
        engine,
        make_record(source="arxiv-oai", version=1, title="v1"),
        make_record(source="hf-daily", code_url="https://github.com/x/y"),
        make_record(source="arxiv-oai", version=2, title="v2"),
        make_record(arxiv_id=None, source="csv", title="Deep Residual Learning",
                    authors=("Kaiming He",)),
        make_record(arxiv_id="1512.03385", source="arxiv-oai", title="Deep residual learning",
                    authors=("Kaiming He", "Xiangyu Zhang")),
    )
    assert outcome.added == 2
    assert len(set(outcome.paper_ids[:3])) == 1 and len(set(outcome.paper_ids[3:])) == 1
    attention = read_paper(engine, "1706.03762")
    assert (attention.title, attention.version, attention.code_url) == ("v2", 2, "https://github.com/x/y")
    assert attention.sources == ["arxiv-oai", "hf-daily"]
    assert read_paper(engine, "1512.03385").sources == ["arxiv-oai", "csv"]


def test_category_lookup_and_author_order_follow_the_paper(engine):
    def version(number, authors, categories):
        return make_record(source="arxiv-oai", version=number, authors=authors,
                           categories=categories)

    (paper_id,) = upsert(engine, version(1, ("Ashish Vaswani", "Noam Shazeer"),
                                         ("cs.CL", "cs.LG"))).paper_ids
    (other_id,) = upsert(engine, make_record(arxiv_id="2104.12255", title="Other",
                                             categories=("cs.LG",))).paper_ids

    def lookup(paper_id):
        with engine.connect() as conn:
            return set(conn.execute(
                sa.select(paper_categories.c.category)
                .where(paper_categories.c.paper_id == paper_id)
            ).scalars())

    def stored_paper():
        stored = read_paper(engine, "1706.03762")
        return lookup(paper_id), stored.authors, stored.categories, stored.primary_category

    assert stored_paper() == (
        {"cs.CL", "cs.LG"}, ["Ashish Vaswani", "Noam Shazeer"], ["cs.CL", "cs.LG"], "cs.CL"
    )
    upsert(engine, version(2, ("Niki Parmar", "Ashish Vaswani"), ("stat.ML", "cs.CL")))
    assert stored_paper() == (
        {"stat.ML", "cs.CL"}, ["Niki Parmar", "Ashish Vaswani"], ["stat.ML", "cs.CL"], "stat.ML"
    )
    upsert(engine, version(3, ("Ashish Vaswani",), ("stat.ML",)))
    assert stored_paper() == ({"stat.ML"}, ["Ashish Vaswani"], ["stat.ML"], "stat.ML")
    with engine.connect() as conn:
        primary = conn.execute(sa.select(papers.c.primary_category).where(papers.c.id == paper_id))
        assert primary.scalar_one() == "stat.ML"  # the column, not only the Paper property
    assert lookup(other_id) == {"cs.LG"}  # the other paper's lookup rows are left alone


@pytest.mark.parametrize(
    "lookup",
    ["1706.03762", "1706.03762v3", "arXiv:1706.03762", "https://arxiv.org/abs/1706.03762v1"],
)
def test_get_paper_by_arxiv_id(engine, lookup):
    (paper_id,) = upsert(engine, make_record(version=3)).paper_ids
    assert read_paper(engine, lookup).id == paper_id


def test_get_paper_by_doi_and_hash_keys_and_not_found(engine):
    doi_id, hash_id = upsert(
        engine,
        make_record(arxiv_id=None, doi="10.1000/xyz", title="A Journal Paper"),
        make_record(arxiv_id=None, title="A Title-only Paper", authors=("Alan Turing",)),
    ).paper_ids
    with engine.connect() as conn:
        hash_key = conn.execute(sa.select(papers.c.key).where(papers.c.id == hash_id)).scalar_one()
    assert hash_key.startswith("h:")
    assert read_paper(engine, "doi:10.1000/xyz").id == doi_id
    assert read_paper(engine, hash_key).id == hash_id
    for missing in ("9999.99999", "doi:10.1000/nope", "h:0000000000000000", "not an id"):
        with pytest.raises(NotFound):
            read_paper(engine, missing)


def test_papers_by_ids_gives_whole_stored_papers_and_leaves_out_unknown_ids(engine):
    first, second = upsert(
        engine, make_record(), make_record(arxiv_id="2410.17243", title="Another Paper", doi="10.1000/abc"),
    ).paper_ids
    many = [second, 999_999, first, second, *range(1_000_000, 1_005_000)]  # repeats, unknowns, several chunks
    with engine.connect() as conn:
        found = papers_by_ids(conn, many)
        assert papers_by_ids(conn, []) == {}
    assert sorted(found) == sorted([first, second])
    assert found[first] == read_paper(engine, "1706.03762")  # every column, as get_paper reads it
    assert (found[second].title, found[second].doi) == ("Another Paper", "10.1000/abc")


# --- listings ------------------------------------------------------------------------------

DAY = date(2024, 3, 1)


def test_upsert_listings_inserts_updates_and_reports_unchanged(engine):
    first_id, second_id = upsert(
        engine, make_record(), make_record(arxiv_id="2104.12255", title="Other")
    ).paper_ids
    submitted_at = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    items = [
        Listing(paper_id=first_id, day=DAY, source="hf-daily", submitted_by="akhaliq",
                submitted_at=submitted_at, upvotes=3),
        Listing(paper_id=second_id, day=DAY, source="hf-daily", upvotes=7),
    ]
    with engine.begin() as conn:
        assert upsert_listings(conn, items) == 2
    with engine.begin() as conn:
        assert upsert_listings(conn, items) == 0
    # a later report with more upvotes and no submitter
    refreshed = Listing(paper_id=first_id, day=DAY, source="hf-daily", upvotes=12)
    with engine.begin() as conn:
        assert upsert_listings(conn, [refreshed]) == 1
        assert upsert_listings(conn, []) == 0
    with engine.connect() as conn:
        on_day = listings_on(conn, DAY)
        assert listings_on(conn, DAY + timedelta(days=1)) == []
    assert [(item.paper_id, item.upvotes) for item in on_day] == [(first_id, 12), (second_id, 7)]
    assert (on_day[0].submitted_by, on_day[0].submitted_at) == ("akhaliq", submitted_at)  # kept
    # The same paper on another day is another listing.
    with engine.begin() as conn:
        next_day = Listing(paper_id=first_id, day=DAY + timedelta(days=1), source="hf-daily")
        assert upsert_listings(conn, [next_day]) == 1
    assert len(table_rows(engine, listings)) == 3


def test_one_listing_per_day_and_paper_is_enforced_by_the_database(engine):
    (paper_id,) = upsert(engine, make_record()).paper_ids
    row = {"paper_id": paper_id, "day": DAY, "source": "hf-daily", "created_at": T0}
    with engine.begin() as conn:
        conn.execute(listings.insert().values(row))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(listings.insert().values({**row, "source": "user"}))


# --- votes ---------------------------------------------------------------------------------


def test_cast_count_and_retract_votes(engine):
    (paper_id,) = upsert(engine, make_record()).paper_ids
    user_id, other_id = add_user(engine, "a@example.org"), add_user(engine, "b@example.org")
    with engine.begin() as conn:
        assert cast_vote(conn, user_id, paper_id) is True
        assert cast_vote(conn, user_id, paper_id) is False  # no second vote
        assert vote_count(conn, paper_id) == 1
        assert cast_vote(conn, other_id, paper_id) is True
        assert vote_count(conn, paper_id) == 2
    with engine.begin() as conn:
        assert retract_vote(conn, user_id, paper_id) is True
        assert retract_vote(conn, user_id, paper_id) is False
        assert vote_count(conn, paper_id) == 1
        assert cast_vote(conn, user_id, paper_id) is True  # may vote again after retracting
        assert vote_count(conn, paper_id) == 2


def test_vote_for_an_unknown_paper_or_user_is_not_found(engine):
    (paper_id,) = upsert(engine, make_record()).paper_ids
    user_id = add_user(engine)
    for user, paper_ in ((user_id, paper_id + 1000), (user_id + 1000, paper_id)):
        with pytest.raises(NotFound), engine.begin() as conn:
            cast_vote(conn, user, paper_)
    assert table_rows(engine, votes) == []


def test_one_vote_per_user_and_paper_is_enforced_by_the_database(engine):
    (paper_id,) = upsert(engine, make_record()).paper_ids
    user_id = add_user(engine)
    row = {"user_id": user_id, "paper_id": paper_id, "created_at": T0}
    with engine.begin() as conn:
        conn.execute(votes.insert().values(row))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(votes.insert().values({**row, "created_at": T1}))


def test_concurrent_double_votes_count_once(engine):
    (paper_id,) = upsert(engine, make_record()).paper_ids
    user_id = add_user(engine)
    start = threading.Barrier(2, timeout=10)
    results, errors = [], []

    def vote():
        try:
            with engine.begin() as conn:
                start.wait()
                results.append(cast_vote(conn, user_id, paper_id))
                time.sleep(0.2)  # hold the transaction open so the other insert really overlaps it
        except Exception as exc:  # any error at all fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=vote) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [False, True]
    with engine.connect() as conn:
        assert vote_count(conn, paper_id) == 1


def test_create_user_rolls_back_with_its_transaction(engine):
    with engine.connect() as conn:
        create_user(conn, "ghost@example.org")
        conn.rollback()
    assert table_rows(engine, users) == []


def test_create_user_refuses_a_taken_email_or_name(engine):
    add_user(engine, "Reader@Example.org")
    with engine.begin() as conn:
        create_user(conn, "writer@example.org", username="writer")
        with pytest.raises(InvalidInput):
            create_user(conn, " reader@example.ORG")  # emails compare case-insensitively
        with pytest.raises(InvalidInput):
            create_user(conn, "other@example.org", username="writer")
        create_user(conn, "third@example.org")  # the transaction is still usable
    with engine.connect() as conn:
        emails = conn.execute(sa.select(users.c.email).order_by(users.c.id)).scalars().all()
    assert emails == ["reader@example.org", "writer@example.org", "third@example.org"]


# --- checkpoints ---------------------------------------------------------------------------


def test_checkpoints_save_load_overwrite_clear(engine):
    state = {"cursor": "tok|1", "done": [1, 2], "note": "é 🚀 مرحبا",
             "nested": {"until": "2024-03-01"}}
    with engine.begin() as conn:
        assert load_checkpoint(conn, "oai:cs") is None
        save_checkpoint(conn, "oai:cs", state)
        save_checkpoint(conn, "oai:math", {"cursor": None})
    with engine.begin() as conn:
        assert load_checkpoint(conn, "oai:cs") == state
        save_checkpoint(conn, "oai:cs", {"cursor": "tok|2"})
    with engine.begin() as conn:
        assert load_checkpoint(conn, "oai:cs") == {"cursor": "tok|2"}
        assert sorted(name for name, _, _ in list_checkpoints(conn)) == ["oai:cs", "oai:math"]
        clear_checkpoint(conn, "oai:cs")
        clear_checkpoint(conn, "never-saved")
    with engine.connect() as conn:
        assert load_checkpoint(conn, "oai:cs") is None
        assert load_checkpoint(conn, "oai:math") == {"cursor": None}
    assert len(table_rows(engine, checkpoints)) == 1


# --- stats ---------------------------------------------------------------------------------


def test_store_stats_counts_by_source_category_and_day(engine):
    ids = upsert(
        engine,
        make_record(source="arxiv-oai", announced_on=date(2024, 1, 2)),
        make_record(arxiv_id="2101.00001", source="arxiv-oai", title="B", categories=("cs.CV",),
                    published_on=date(2024, 1, 1)),
        make_record(arxiv_id="2101.00001", source="hf-daily", title="B"),
        make_record(arxiv_id=None, source="jsonl", title="C", categories=()),
        make_record(arxiv_id=None, source="csv", title="D", categories=("cs.CL",),
                    announced_on=date(2024, 1, 2)),
    ).paper_ids
    user_id = add_user(engine)
    with engine.begin() as conn:
        upsert_listings(conn, [Listing(paper_id=ids[0], day=date(2024, 1, 2), source="hf-daily")])
        cast_vote(conn, user_id, ids[0])
    with engine.connect() as conn:
        stats = store_stats(conn)
        narrow = store_stats(conn, top_categories=1, recent_days=1)
    assert (stats.papers, stats.listings, stats.users, stats.votes) == (4, 1, 1, 1)
    assert stats.by_source == {"arxiv-oai": 2, "hf-daily": 1, "jsonl": 1, "csv": 1}
    assert list(stats.by_category.items()) == [("cs.CL", 2), ("(none)", 1), ("cs.CV", 1)]
    assert list(stats.by_day.items()) == [("2024-01-02", 2), ("2024-01-01", 1)]
    assert (stats.first_day, stats.last_day) == ("2024-01-01", "2024-01-02")
    assert (narrow.by_category, narrow.by_day) == ({"cs.CL": 2}, {"2024-01-02": 2})


def test_store_stats_on_an_empty_store(engine):
    with engine.connect() as conn:
        stats = store_stats(conn)
    assert (stats.papers, stats.by_source, stats.by_category, stats.by_day) == (0, {}, {}, {})
    assert (stats.first_day, stats.last_day) == (None, None)


# --- timestamps and text -------------------------------------------------------------------


def test_timestamps_come_back_timezone_aware_utc(engine):
    local = timezone(timedelta(hours=5, minutes=30))
    now = datetime(2024, 3, 1, 17, 30, tzinfo=local)  # 12:00 UTC
    (paper_id,) = upsert(engine, make_record(), now=now).paper_ids
    user_id = add_user(engine)
    with engine.begin() as conn:
        submitted_at = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
        upsert_listings(conn, [Listing(paper_id=paper_id, day=DAY, source="hf-daily",
                                       submitted_at=submitted_at)])
        cast_vote(conn, user_id, paper_id)
        save_checkpoint(conn, "run", {})
    with engine.connect() as conn:
        found = [
            *conn.execute(sa.select(papers.c.created_at, papers.c.modified_at)).one(),
            *conn.execute(sa.select(listings.c.submitted_at, listings.c.created_at)).one(),
            conn.execute(sa.select(votes.c.created_at)).scalar_one(),
            conn.execute(sa.select(users.c.created_at)).scalar_one(),
            list_checkpoints(conn)[0][2],
        ]
    assert all(value.utcoffset() == timedelta(0) for value in found), found
    assert found[:3] == [T0, T0, datetime(2024, 3, 1, 8, 0, tzinfo=UTC)]  # same instants, in UTC
    assert all(abs(datetime.now(UTC) - value) < timedelta(minutes=5) for value in found[3:])


def test_odd_unicode_round_trips(engine):
    unit = "مرحبا بالعالم — שלום 🚀👩‍👩‍👧 深度学习 𝔘𝔫𝔦 $\\mathcal{O}(n^2)$ <b>&amp;</b> "
    body = unit * (19_000 // len(unit))
    abstract = body + "z" * (19_000 - len(body))
    record = normalize_record(make_record(
        title="\u202eRTL override? عنوان عربي 🚀",
        abstract=abstract,
        authors=("Ł. Kaiser", "Zoë Ünal", "李 伟", "Ахмед 🦄"),
        categories=("cs.CL",),
    ))
    assert record.abstract == abstract and len(abstract) == 19_000  # nothing to normalize
    (paper_id,) = upsert(engine, record).paper_ids
    stored_paper = read_paper(engine, "1706.03762")
    assert (stored_paper.title, stored_paper.abstract) == (record.title, record.abstract)
    assert stored_paper.authors == list(record.authors)
    assert upsert(engine, record).unchanged == 1  # what came back equals what went in
    with pytest.raises(InvalidRecord):
        normalize_record(make_record(abstract="x" * 1_000_000))
