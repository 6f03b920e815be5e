"""`paperfeed for-you EMAIL` and `paperfeed for-you rank`, driven in-process through `paperfeed.cli.run`
on a real SQLite file holding the four-topic store, indexed with real embeddings: the ranking in
order with its reasons, as a table and as JSON, per collection, the job's summary, and one-line errors."""

from __future__ import annotations

import json

import pytest

from cli_runner import clean_environment, cli_invoker
from for_you_world import NEW_DAYS, build_world
from paperfeed.cli import run
from paperfeed.config import Settings
from paperfeed.db.collections import create_collection
from paperfeed.db.engine import make_engine
from paperfeed.db.library import add_to_collection, save_paper
from paperfeed.db.papers import papers_by_ids
from paperfeed.db.users import create_user
from paperfeed.search.maintenance import update_index

WEEK = NEW_DAYS[0].strftime("%G-W%V")


@pytest.fixture
def world(tmp_path, monkeypatch, models_dir, capsys):
    """(invoke, key -> topic): ada saved 4 diffusion papers and filed 3 protein ones in "Proteins"; bob
    has an account and nothing saved."""
    data = clean_environment(monkeypatch, tmp_path, models_dir=str(models_dir))
    assert run(["db", "upgrade"]) == 0
    engine = make_engine(f"sqlite:///{data / 'paperfeed.db'}")
    ids = build_world(engine)
    update_index(Settings(_env_file=None, data_dir=data, models_dir=models_dir), engine)
    with engine.begin() as conn:
        ada = create_user(conn, "ada@example.org")
        create_user(conn, "bob@example.org")
        proteins = create_collection(conn, ada, "Proteins").id
        for paper_id in ids["diffusion"]["library"][:4]:
            save_paper(conn, ada, paper_id)
        for paper_id in ids["protein"]["library"][:3]:
            save_paper(conn, ada, paper_id)
            add_to_collection(conn, ada, paper_id, proteins)
        found = papers_by_ids(conn, [i for parts in ids.values() for i in parts["library"] + parts["new"]])
    topic_of = {found[i].key: topic for topic, parts in ids.items() for i in parts["library"] + parts["new"]}
    yield cli_invoker(capsys), topic_of
    engine.dispose()


def test_json_lists_the_ranking_in_order_with_scores_and_reasons(world):
    invoke, topic_of = world
    result = invoke("for-you", "ada@example.org", "--week", WEEK, "--limit", "8", "--json")
    assert result.code == 0, result.err
    body = json.loads(result.out)

    assert (body["state"], body["positives"], body["start"]) == ("ready", 7, NEW_DAYS[0].isoformat())
    papers = body["papers"]
    assert len(papers) == 8 and {topic_of[p["id"]] for p in papers} <= {"diffusion", "protein"}
    assert [p["score"] for p in papers] == sorted((p["score"] for p in papers), reverse=True)
    top = papers[0]
    assert top["match"] in ("strong match", "weak match") and top["shared_words"]
    assert top["closest"] and all(topic_of[c["id"]] == topic_of[top["id"]] for c in top["closest"])
    # `for-you show EMAIL` is the same command
    shown = invoke("for-you", "show", "ada@example.org", "--week", WEEK, "--limit", "8", "--json")
    assert [p["id"] for p in json.loads(shown.out)["papers"]] == [p["id"] for p in papers]


def test_a_collection_ranks_its_topic_and_the_table_says_why(world):
    invoke, topic_of = world
    ranked = invoke("for-you", "ada@example.org", "--week", WEEK, "-c", "proteins", "-n", "8", "--json")
    as_json = json.loads(ranked.out)
    table = invoke("for-you", "ada@example.org", "--week", WEEK, "--collection", "Proteins", "--limit", "3")

    assert as_json["collection"] == "Proteins" and {topic_of[p["id"]] for p in as_json["papers"]} == {"protein"}
    assert table.code == 0, table.err
    assert "for you of 'Proteins'" in table.text
    assert f"1. {as_json['papers'][0]['title']}" in table.text
    assert "Close to “" in table.text and "Shared words:" in table.text


def test_an_empty_library_is_told_what_to_do(world):
    invoke, _ = world
    told = invoke("for-you", "bob@example.org")
    assert told.code == 0 and "nothing ranked yet: 0 papers to learn from" in told.text
    assert json.loads(invoke("for-you", "bob@example.org", "--json").out)["state"] == "start"


def test_rank_ranks_everyone_once_and_says_so(world):
    invoke, _ = world
    first = invoke("for-you", "rank", "--json")
    again = invoke("for-you", "rank")
    assert first.code == 0, first.err
    report = json.loads(first.out)
    assert (report["readers"], report["models"]) == (1, 1) and report["rankings"] == report["days"] > 0
    assert again.code == 0 and "0 reader-days ranked" in again.text and "1 readers" in again.text


@pytest.mark.parametrize(("args", "message"), [
    (["nobody@example.org"], "no account with email 'nobody@example.org'"),
    (["ada@example.org", "--collection", "Nope"], "you have no collection named 'Nope'"),
    (["ada@example.org", "--week", "2026-W99"], "week '2026-W99' is not a valid week"),
    (["ada@example.org", "--date", "2026-11-02", "--month", "2026-11"], "give one of date, week or month"),
])
def test_bad_input_is_one_line(world, args, message):
    invoke, _ = world
    result = invoke("for-you", *args)
    assert result.code == 1 and len(result.err_lines) == 1 and message in result.err


def test_a_limit_out_of_bounds_is_refused(world):
    invoke, _ = world
    result = invoke("for-you", "ada@example.org", "--limit", "0")
    assert result.code == 2 and "--limit" in result.err
