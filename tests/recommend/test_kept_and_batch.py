"""Kept models and batch ranking: a model kept as bytes and restored scores as the fitted one does, and
many readers ranked at once (recommend.batch) score exactly as each restored model alone, chunked or not."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from paperfeed.recommend import PaperFeatures, batch, fit
from paperfeed.recommend.kept import FORMAT as KEPT_FORMAT
from paperfeed.recommend.kept import KeptModel, StaleModel, keep

DIM, VOCABULARY = 16, 40


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def world():
    """Papers in 4 topics: dense rows near a topic centre, TF-IDF rows over that topic's words."""
    rng = np.random.default_rng(7)
    centres = unit(rng.normal(size=(4, DIM)))
    topics = rng.integers(0, 4, size=600)
    dense = unit(centres[topics] + 0.6 * rng.normal(size=(600, DIM)))
    words = np.zeros((600, VOCABULARY), dtype=np.float32)
    for row, topic in enumerate(topics):
        chosen = rng.choice(10, size=4, replace=False) + 10 * topic
        words[row, chosen] = rng.random(4) + 0.1
    words /= np.linalg.norm(words, axis=1, keepdims=True)
    ids = np.arange(1000, 1600)
    return ids, topics, PaperFeatures(dense, sp.csr_matrix(words))


def fitted(world, topic: int, n_pos: int, n_neg: int = 0):
    ids, topics, features = world
    pos_rows = np.flatnonzero(topics == topic)[:n_pos]
    neg_rows = np.flatnonzero(topics == (topic + 1) % 4)[:n_neg]
    pool = np.setdiff1d(np.arange(300, 600), np.concatenate([pos_rows, neg_rows]))
    model = fit(features.take(pos_rows), features.take(pool[:150]), features.take(pool[150:]),
                explicit_negatives=features.take(neg_rows) if n_neg else None)
    return model, keep(model, ids[pos_rows].tolist(), ids[neg_rows].tolist())


def vectors_of(world) -> dict[int, np.ndarray]:
    ids, _, features = world
    return {int(i): features.dense[row] for row, i in enumerate(ids)}


def test_a_kept_model_scores_as_the_fitted_one(world):
    model, kept = fitted(world, topic=0, n_pos=12, n_neg=3)
    restored = KeptModel.from_bytes(kept.to_bytes()).restore(vectors_of(world), DIM)
    candidates = world[2].take(range(0, 300))
    assert np.allclose(restored.score(candidates), model.score(candidates), atol=2e-3)
    assert restored.labels(restored.score(candidates)) == model.labels(model.score(candidates))


def test_another_format_is_refused_as_stale(world, monkeypatch):
    _, kept = fitted(world, topic=1, n_pos=5)
    blob = kept.to_bytes()
    monkeypatch.setattr("paperfeed.recommend.kept.FORMAT", KEPT_FORMAT + 1)  # a later version reads it
    with pytest.raises(StaleModel):
        KeptModel.from_bytes(blob)


def test_a_deleted_library_paper_is_left_out_on_restore(world):
    _, kept = fitted(world, topic=2, n_pos=6)
    vectors = vectors_of(world)
    del vectors[int(kept.nearest_ids[0])]
    assert len(kept.restore(vectors, DIM).nearest.positives) == 5


@pytest.mark.parametrize("max_cells", [batch.MAX_CELLS, 300 * 10])  # one chunk; a chunk per reader or two
def test_batch_scores_equal_each_model_alone(world, monkeypatch, max_cells):
    monkeypatch.setattr(batch, "MAX_CELLS", max_cells)
    models = [fitted(world, topic, n_pos, n_neg)[1]
              for topic, n_pos, n_neg in [(0, 3, 0), (1, 20, 2), (2, 1, 0), (3, 8, 5), (0, 15, 1)]]
    candidates = world[2].take(range(0, 300))
    vectors = vectors_of(world)
    seen = []
    for chunk, scores in batch.score_many(models, candidates, vectors):
        for column, i in enumerate(chunk):
            alone = models[i].restore(vectors, DIM).score(candidates)
            assert np.allclose(scores[:, column], alone, atol=1e-4)
            seen.append(i)
    assert seen == list(range(5))


def test_rank_many_keeps_each_readers_best_in_order(world):
    models = [fitted(world, topic, 10)[1] for topic in range(4)]
    candidates = world[2].take(range(0, 300))
    topics = world[1][:300]
    ranked = dict(batch.rank_many(models, candidates, vectors_of(world), keep=20))
    for topic, best in ranked.items():
        assert len(best.rows) == 20 and np.all(np.diff(best.scores) <= 0)
        assert np.mean(topics[best.rows] == topic) > 0.8  # the reader's topic fills their top 20
        assert np.all((best.percentiles >= 0) & (best.percentiles <= 1))


def test_sparse_models_need_sparse_candidates(world):
    _, kept = fitted(world, topic=0, n_pos=4)
    with pytest.raises(ValueError, match="sparse"):
        list(batch.score_many([kept], PaperFeatures(world[2].dense[:10]), vectors_of(world)))
