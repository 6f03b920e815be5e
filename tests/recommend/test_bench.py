"""The pure pieces of bench/recommend.py on a tiny hand-made sample: who is a reader and what is their
library and target, the week the candidates come from, the random draws, and recall / MRR."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date

import numpy as np
import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_recommend", REPO / "bench" / "recommend.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


# 2026-03-02 is a Monday: week 10 of 2026 runs from 03-02 to 03-08.
MON, WED, SUN, NEXT_MON = date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 8), date(2026, 3, 9)


def papers(bench, rows):
    return [bench.BenchPaper(day, key, tuple(authors)) for day, key, authors in rows]


def test_readers_are_authors_with_six_dated_papers_their_latest_the_target(bench):
    rows = [(date(2026, 1, day), f"2601.{day:05d}", ["Bernhard Schölkopf"]) for day in (5, 1, 3, 2)]
    rows += [(None, "2601.09999", ["bernhard scholkopf"]),  # no day: never counted
             (date(2026, 1, 4), "2601.00009", ["bernhard  SCHOLKOPF", "Bernhard Schölkopf"]),  # one name, once
             (date(2026, 1, 4), "2601.00008", ["Bernhard Scholkopf"]),  # same day: the lower id first
             (date(2026, 1, 4), "2601.00007", ["Ada Lovelace"])]
    sample = papers(bench, rows)
    (reader,) = bench.build_readers(sample)
    assert reader.key == "bernhard scholkopf"
    # days 1, 2, 3, 4 (00008 before 00009), 5: the target is day 5's paper (row 0)
    assert [sample[row].order_key for row in reader.library] == [
        "2601.00001", "2601.00002", "2601.00003", "2601.00008", "2601.00009"]
    assert reader.target == 0
    assert bench.build_readers(sample, min_papers=7) == []


def test_candidates_are_the_targets_iso_week_less_the_library(bench):
    rows = [(date(2026, 2, 20), "a0", ["R"]), (MON, "a1", ["R"]), (WED, "a2", ["X"]), (SUN, "a3", ["X"]),
            (NEXT_MON, "a4", ["X"]), (date(2026, 3, 1), "a5", ["X"]), (WED, "a6", ["R"])]
    sample = papers(bench, rows)
    reader = bench.Reader("r", library=(0, 1), target=6)
    candidates = bench.candidate_rows(bench.Calendar(sample), sample, reader)
    # Monday (the reader's own, in the library) is left out; Sunday is in; the Sunday before and the
    # Monday after are other weeks.
    assert sorted(candidates.tolist()) == [2, 3, 6]


def test_random_draws_are_earlier_papers_outside_the_library_and_reproducible(bench):
    earlier = [(date(2026, 2, 1 + n % 20), f"e{n:03d}", ["Y"]) for n in range(60)]
    week = [(WED, "t", ["R"]), (WED, "w", ["X"])]
    sample = papers(bench, earlier + week)
    calendar = bench.Calendar(sample)
    reader = bench.Reader("r", library=(3, 7, 11), target=60)
    task = bench.make_task(reader, sample, calendar, seed=1, negatives=30, reference=20)
    drawn = np.concatenate([task.negatives, task.reference])
    assert len(task.negatives) == 30 and len(task.reference) == 20 and len(set(drawn.tolist())) == 50
    assert all(sample[row].day < MON for row in drawn) and not set(drawn.tolist()) & {3, 7, 11}
    assert task.candidates[task.target_index] == 60
    again = bench.make_task(reader, sample, calendar, seed=1, negatives=30, reference=20)
    assert np.array_equal(again.negatives, task.negatives)
    assert not np.array_equal(bench.make_task(reader, sample, calendar, seed=2, negatives=30, reference=20).negatives,
                              task.negatives)
    # 58 draws beside a library of 3 need 61 earlier papers: too few, no task
    assert bench.make_task(reader, sample, calendar, seed=1, negatives=40, reference=18) is None


@pytest.mark.parametrize(
    ("scores", "target_index", "rank"),
    [([0.9, 0.5, 0.1], 0, 1), ([0.9, 0.5, 0.1], 2, 3), ([0.2, 0.7, 0.7], 1, 2), ([1.0, 1.0, 1.0], 0, 3)],
)
def test_target_rank_counts_ties_against_the_target(bench, scores, target_index, rank):
    assert bench.target_rank(np.asarray(scores), target_index) == rank


def test_recall_and_mrr(bench):
    metrics = bench.summarize([1, 2, 10, 11, 50, 51, 400, 4])
    assert metrics["recall@10"] == 4 / 8
    assert metrics["recall@50"] == 6 / 8
    assert metrics["mrr"] == pytest.approx((1 + 1 / 2 + 1 / 10 + 1 / 11 + 1 / 50 + 1 / 51 + 1 / 400 + 1 / 4) / 8)


def test_report_readers_are_a_seeded_sample_apart_from_the_tuning_ones(bench):
    readers = [bench.Reader(f"r{n}", (), n) for n in range(50)]
    report, others = bench.split_readers(readers, 10, seed=3)
    assert len(report) == 10 and len(others) == 40 and not {r.key for r in report} & {r.key for r in others}
    assert bench.split_readers(readers, 10, seed=3)[0] == report
    assert bench.split_readers(readers, 10, seed=4)[0] != report
