""""For you" through the real store and index: a reader's saves rank the week's papers of their topic
first, with the library papers and words that explain each; too little to learn from says so; a
rating changes the order; rankings are kept and read back, per reader and per collection, and gone
with the paper or the reader."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from for_you_world import NEW_DAYS, build_world
from paperfeed.config import Settings
from paperfeed.db.collections import create_collection
from paperfeed.db.for_you import kept_model, mark_read
from paperfeed.db.library import add_to_collection, save_paper
from paperfeed.db.ratings import rate_paper
from paperfeed.db.schema import kept_rankings, papers, reader_models
from paperfeed.db.users import create_user
from paperfeed.foryou.service import LEARNING, READY, START, Recommender
from paperfeed.recommend import Match
from paperfeed.search.maintenance import update_index

WEEK = (NEW_DAYS[0], NEW_DAYS[-1])


@pytest.fixture
def world(engine, tmp_path, models_dir, database_url):
    settings = Settings(data_dir=tmp_path / "data", models_dir=models_dir, database_url=database_url)
    ids = build_world(engine)
    update_index(settings, engine)
    recommender = Recommender(settings)
    yield settings, engine, ids, recommender
    recommender.close()


def reader(engine, email="reader@example.org") -> int:
    with engine.begin() as conn:
        return create_user(conn, email)


def save(engine, user_id, paper_ids):
    with engine.begin() as conn:
        for paper_id in paper_ids:
            save_paper(conn, user_id, paper_id)


def ranking(world, user_id, **kwargs):
    _, engine, _, recommender = world
    with engine.begin() as conn:
        return recommender.for_you(conn, user_id, *WEEK, **kwargs)


def topic_of(ids, paper_id) -> str:
    return next(topic for topic, parts in ids.items() if paper_id in parts["new"] + parts["library"])


def test_a_new_reader_is_asked_to_start_and_a_small_library_to_grow(world):
    _, engine, ids, _ = world
    user = reader(engine)
    first = ranking(world, user)
    assert (first.state, first.items, first.needed) == (START, [], 3)
    save(engine, user, ids["protein"]["library"][:2])
    second = ranking(world, user)
    assert (second.state, second.positives, second.needed) == (LEARNING, 2, 1)


def test_reading_a_ranking_without_a_model_writes_nothing(world):
    _, engine, ids, _ = world
    user = reader(engine)
    save(engine, user, ids["protein"]["library"][:2])
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert ranking(world, user).state == LEARNING
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert writes == []


def test_saved_papers_rank_their_topic_first_with_reasons(world):
    _, engine, ids, _ = world
    user = reader(engine)
    save(engine, user, ids["diffusion"]["library"][:4])
    result = ranking(world, user, limit=10)
    assert result.state == READY and len(result.items) == 10
    assert [topic_of(ids, item.paper_id) for item in result.items] == ["diffusion"] * 10
    top = result.items[0]
    assert top.match in (Match.STRONG, Match.WEAK)
    assert 2 <= len(top.closest) <= 3 and set(top.closest) <= set(ids["diffusion"]["library"][:4])
    assert top.shared_words and all(isinstance(word, str) for word in top.shared_words)
    scores = [item.score for item in result.items]
    assert scores == sorted(scores, reverse=True)
    assert all(WEEK[0] <= item.day <= WEEK[1] for item in result.items)


def test_rankings_are_kept_and_a_rating_refits_and_reorders(world):
    _, engine, ids, _ = world
    user = reader(engine)
    save(engine, user, ids["diffusion"]["library"][:3] + ids["galaxies"]["library"][:3])
    before = [item.paper_id for item in ranking(world, user, limit=40).items]
    with engine.connect() as conn:
        model = kept_model(conn, user, "library")
        kept = conn.execute(sa.select(sa.func.count()).where(kept_rankings.c.model_id == model.id)).scalar()
    assert kept == 40  # the week's 40 papers, each day's best kept (for_you_keep = 100 > 8 a day)
    with engine.begin() as conn:  # "less like this" on two galaxy papers
        for paper_id in ids["galaxies"]["new"][:2]:
            rate_paper(conn, user, paper_id, -1)
    after = [item.paper_id for item in ranking(world, user, limit=40).items]
    assert after != before
    with engine.connect() as conn:
        assert kept_model(conn, user, "library").signals_key != model.signals_key
    galaxy_rank = {p: i for i, p in enumerate(after) if topic_of(ids, p) == "galaxies"}
    galaxy_before = {p: i for i, p in enumerate(before) if topic_of(ids, p) == "galaxies"}
    assert sum(galaxy_rank.values()) > sum(galaxy_before.values())  # galaxies moved down


def test_read_papers_can_be_hidden(world):
    _, engine, ids, _ = world
    user = reader(engine)
    save(engine, user, ids["economics"]["library"][:4])
    top = ranking(world, user, limit=3).items[0].paper_id
    with engine.begin() as conn:
        mark_read(conn, user, top)
    assert top in [item.paper_id for item in ranking(world, user, limit=3).items]
    assert top not in [item.paper_id for item in ranking(world, user, limit=3, hide_read=True).items]


def test_a_collection_has_its_own_ranking_and_readers_do_not_share(world):
    _, engine, ids, _ = world
    user, other = reader(engine), reader(engine, "other@example.org")
    save(engine, user, ids["protein"]["library"][:3] + ids["economics"]["library"][:3])
    save(engine, other, ids["galaxies"]["library"][:4])
    with engine.begin() as conn:
        collection = create_collection(conn, user, "Proteins").id
        for paper_id in ids["protein"]["library"][:3]:
            add_to_collection(conn, user, paper_id, collection)
    proteins = ranking(world, user, collection_id=collection, limit=10).items
    assert {topic_of(ids, item.paper_id) for item in proteins} == {"protein"}
    assert {topic_of(ids, item.paper_id) for item in ranking(world, other, limit=10).items} == {"galaxies"}
    for item in proteins:
        assert set(item.closest) <= set(ids["protein"]["library"][:3])


def test_deleting_a_paper_or_the_reader_leaves_nothing_behind(world):
    _, engine, ids, _ = world
    user = reader(engine)
    save(engine, user, ids["diffusion"]["library"][:4])
    gone = ranking(world, user, limit=1).items[0].paper_id
    with engine.begin() as conn:
        conn.execute(papers.delete().where(papers.c.id == gone))
    assert gone not in [item.paper_id for item in ranking(world, user, limit=40).items]
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE id = :id"), {"id": user})
        assert conn.execute(sa.select(sa.func.count()).select_from(reader_models)).scalar() == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(kept_rankings)).scalar() == 0


def test_days_without_papers_rank_nothing(world):
    _, engine, ids, recommender = world
    user = reader(engine)
    save(engine, user, ids["diffusion"]["library"][:4])
    with engine.begin() as conn:
        result = recommender.for_you(conn, user, date(2030, 1, 1), date(2030, 1, 31))
    assert result.state == READY and result.items == []


def test_the_job_refits_changed_readers_and_ranks_everyones_days_once(world):
    from paperfeed.foryou.job import rank_everyone

    settings, engine, ids, recommender = world
    first, second, idle = reader(engine), reader(engine, "b@example.org"), reader(engine, "c@example.org")
    save(engine, first, ids["diffusion"]["library"][:4])
    save(engine, second, ids["economics"]["library"][:4])
    save(engine, idle, ids["protein"]["library"][:1])  # too little to learn from: no model
    report = rank_everyone(engine, settings, days=40, recommender=recommender)
    assert (report.readers, report.refitted, report.models) == (3, 2, 2)
    assert report.rankings == 2 * report.days and report.days >= len(NEW_DAYS)
    again = rank_everyone(engine, settings, days=40, recommender=recommender)
    assert (again.refitted, again.rankings) == (0, 0)  # nothing changed: nothing fitted or ranked twice
    with engine.begin() as conn:
        rate_paper(conn, second, ids["economics"]["new"][0], -1)
    changed = rank_everyone(engine, settings, days=40, recommender=recommender)
    assert (changed.refitted, changed.rankings) == (1, report.days)  # only the reader who rated
    top = ranking(world, first, limit=5).items  # the page reads what the job kept
    assert {topic_of(ids, item.paper_id) for item in top} == {"diffusion"}
