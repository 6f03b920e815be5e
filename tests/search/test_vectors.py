"""Vector indexes: exact and HNSW answer the same questions, filters never leak, files survive crashes."""

from __future__ import annotations

import numpy as np
import pytest
from usearch.index import Index

from paperfeed.errors import InvalidInput
from paperfeed.search import vectors
from paperfeed.search.vectors import (
    ExactVectorIndex,
    HnswVectorIndex,
    build_vector_index,
    load_vector_index,
    open_vector_index,
)

DIM = 32


def unit_rows(count: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def paper_ids(count: int) -> np.ndarray:
    return np.arange(count, dtype=np.int64) * 7 + 1000  # not row numbers, so a mix-up shows


def true_top(rows: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int, allowed=None) -> list[int]:
    mask = np.ones(len(ids), dtype=bool) if allowed is None else np.isin(ids, list(allowed))
    scores = np.where(mask, rows @ query, -np.inf)
    order = np.argsort(-scores)[:k]
    return [int(ids[i]) for i in order if mask[i]]


def make_index(kind: str, count: int = 2000, **options):
    index = ExactVectorIndex(DIM, **options) if kind == "exact" else HnswVectorIndex(DIM, **options)
    index.add(paper_ids(count), unit_rows(count))
    return index


KINDS = ["exact", "hnsw"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_slightly_moved_vector_finds_its_own_paper_first(kind):
    index, rows = make_index(kind), unit_rows(2000)
    query = rows[123] + 0.05 * unit_rows(1, seed=9)[0]
    best_id, best_score = index.search(query, 5)[0]
    assert best_id == paper_ids(2000)[123]
    assert 0.95 < best_score <= 1.001
    scores = [score for _, score in index.search(query, 5)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("exact_below", [20_000, 10])  # HNSW: scored exactly, or oversampled and widened
def test_allowed_ids_restrict_results_exactly_and_never_leak(kind, exact_below):
    options = {"exact_below": exact_below} if kind == "hnsw" else {}
    index, rows, ids = make_index(kind, **options), unit_rows(2000), paper_ids(2000)
    allowed = set(ids[::40].tolist()) | {999_999_999}  # 50 papers, and one the index has never seen
    for seed in range(5):
        query = unit_rows(1, seed=100 + seed)[0]
        found = index.search(query, 10, allowed_ids=allowed)
        assert {pid for pid, _ in found} <= allowed
        assert len(found) == 10
        if kind == "exact":
            assert [pid for pid, _ in found] == true_top(rows, ids, query, 10, allowed)
        elif exact_below > len(allowed):  # scored exactly, on stored copies: only near-ties may swap
            tenth_best = float(rows[np.searchsorted(ids, true_top(rows, ids, query, 10, allowed)[-1])] @ query)
            assert all(rows[np.searchsorted(ids, pid)] @ query >= tenth_best - 0.02 for pid, _ in found)


def test_hnsw_widens_the_search_until_it_has_k_allowed_results():
    index, rows, ids = make_index("hnsw", exact_below=0, dtype="f16"), unit_rows(2000), paper_ids(2000)
    query = unit_rows(1, seed=5)[0]
    allowed = ids[np.argsort(rows @ query)[:50]]  # the 50 papers least like the query: the first pass misses them
    found = index.search(query, 10, allowed_ids=allowed)
    assert [pid for pid, _ in found] == true_top(rows, ids, query, 10, allowed)


@pytest.mark.parametrize("kind", KINDS)
def test_a_filter_that_matches_nothing_indexed_returns_nothing(kind):
    assert make_index(kind).search(unit_rows(1)[0], 10, allowed_ids=[5, 6]) == []
    assert make_index(kind).search(unit_rows(1)[0], 10, allowed_ids=[]) == []


# Random 32-dimensional vectors are a hard case (many near-ties); int8 rounding costs a few points on them.
@pytest.mark.parametrize(("dtype", "at_least"), [("f16", 0.95), ("i8", 0.9)])
def test_hnsw_recall_at_10_against_exact_is_high(dtype, at_least):
    count = 4000
    rows, ids = unit_rows(count), paper_ids(count)
    hnsw = HnswVectorIndex(DIM, dtype=dtype)
    hnsw.add(ids, rows)
    queries = unit_rows(100, seed=1)
    recall = np.mean([
        len({pid for pid, _ in hnsw.search(q, 10)} & set(true_top(rows, ids, q, 10))) / 10 for q in queries
    ])
    assert recall >= at_least


@pytest.mark.parametrize("kind", KINDS)
def test_add_replaces_and_remove_forgets(kind):
    index, ids = make_index(kind, count=500), paper_ids(500)
    replacement = unit_rows(1, seed=77)
    index.add(ids[:1], replacement)
    assert len(index) == 500
    assert index.search(replacement[0], 1)[0][0] == ids[0]
    index.remove(ids[:100].tolist() + [123_456_789])  # an unknown id is ignored
    assert len(index) == 400
    assert not {pid for pid, _ in index.search(replacement[0], 400)} & set(ids[:100].tolist())
    index.add(ids[:1], replacement)  # a removed id can come back
    assert index.search(replacement[0], 1)[0][0] == ids[0]


@pytest.mark.parametrize("kind", KINDS)
def test_k_larger_than_the_index_returns_everything(kind):
    assert len(make_index(kind, count=30).search(unit_rows(1)[0], 100)) == 30


@pytest.mark.parametrize("kind", KINDS)
def test_bad_batches_are_refused(kind):
    index = make_index(kind, count=10)
    with pytest.raises(ValueError):
        index.add([1, 1], unit_rows(2))
    with pytest.raises(ValueError):
        index.add([-1], unit_rows(1))
    with pytest.raises(ValueError):
        index.add([1, 2, 3], unit_rows(2))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mmap", [False, True])
def test_save_and_load_round_trip(kind, mmap, tmp_path):
    index, rows = make_index(kind, count=1000), unit_rows(1000)
    index.save(tmp_path / "vectors")
    loaded = load_vector_index(tmp_path / "vectors", mmap=mmap)
    assert type(loaded) is type(index)
    assert len(loaded) == 1000 and loaded.dim == DIM
    for query in rows[:20]:
        assert [pid for pid, _ in loaded.search(query, 5)] == [pid for pid, _ in index.search(query, 5)]


def test_an_hnsw_view_is_read_only_and_says_so(tmp_path):
    make_index("hnsw", count=100).save(tmp_path / "vectors")
    view = HnswVectorIndex.view(tmp_path / "vectors")
    with pytest.raises(RuntimeError, match="read-only"):
        view.add([1], unit_rows(1))  # usearch itself would crash the process


def test_an_exact_view_copies_on_change_and_leaves_the_file_alone(tmp_path):
    make_index("exact", count=100).save(tmp_path / "vectors")
    before = (tmp_path / "vectors").read_bytes()
    view = ExactVectorIndex.view(tmp_path / "vectors")
    view.remove(paper_ids(100)[:10])
    view.add([1], unit_rows(1, seed=3))
    assert len(view) == 91
    assert (tmp_path / "vectors").read_bytes() == before


def _fail_midway(path_argument: int):
    def write_then_fail(*args, **_kwargs):
        target = args[path_argument]
        if hasattr(target, "write"):
            target.write(b"half a file")
        else:
            with open(target, "wb") as file:
                file.write(b"half a file")
        raise OSError("disk full")

    return write_then_fail


@pytest.mark.parametrize("kind", KINDS)
def test_an_interrupted_save_leaves_the_old_index_whole(kind, tmp_path, monkeypatch):
    path = tmp_path / "vectors"
    make_index(kind, count=200).save(path)
    before = path.read_bytes()
    bigger = make_index(kind, count=400)
    if kind == "exact":
        monkeypatch.setattr(np, "save", _fail_midway(0))
    else:
        monkeypatch.setattr(Index, "save", _fail_midway(1))
    with pytest.raises(OSError, match="disk full"):
        bigger.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["vectors"]  # no temporary file left behind
    monkeypatch.undo()
    assert len(load_vector_index(path)) == 200


def test_load_tells_missing_from_broken(tmp_path):
    assert load_vector_index(tmp_path / "none") is None
    (tmp_path / "junk").write_bytes(b"not an index at all" * 10)
    with pytest.raises(InvalidInput, match="not a vector index"):
        load_vector_index(tmp_path / "junk")


def test_build_picks_exact_up_to_the_limit_and_hnsw_above(monkeypatch):
    monkeypatch.setattr(vectors, "EXACT_LIMIT", 100)
    assert isinstance(build_vector_index(paper_ids(100), unit_rows(100)), ExactVectorIndex)
    assert isinstance(build_vector_index(paper_ids(101), unit_rows(101)), HnswVectorIndex)


def test_open_creates_or_loads_and_refuses_another_dimension(tmp_path):
    path = tmp_path / "vectors"
    assert len(open_vector_index(path, DIM)) == 0
    assert isinstance(open_vector_index(path, DIM, kind="hnsw"), HnswVectorIndex)
    make_index("hnsw", count=50).save(path)
    reopened = open_vector_index(path, DIM)
    reopened.add([1], unit_rows(1))  # loaded for changes, not a read-only view
    assert len(reopened) == 51
    with pytest.raises(InvalidInput, match="rebuild"):
        open_vector_index(path, DIM * 2)
