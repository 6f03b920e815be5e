"""`paperfeed index`: keyword sync, then embeddings, with the vector index saved as it grows."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.locks import file_lock
from paperfeed.db.papers import count_papers
from paperfeed.search.embedding_store import EmbeddingStore
from paperfeed.search.indexer import IndexPaths, Progress, model_slug, reset, sync_embeddings, sync_keyword

log = logging.getLogger(__name__)

SAVE_EVERY_S = 30.0  # how stale the served vector index may get while embeddings are computed
EMBEDDING_BUSY = "another `paperfeed index` is computing embeddings now; let it finish"
KEYWORD_BUSY = "another run has been writing the keyword index for 10 minutes; let it finish"
KEYWORD_WAIT_S = 600  # a keyword run is seconds (a first build of 200,000 papers, about a minute): wait


class VectorIndexWriter:
    """Keeps the vector index in step with the embedding store and saves it atomically, at most
    every SAVE_EVERY_S seconds during a run and once at its end, so search sees progress as it
    happens. On opening it adds whatever the store holds and the saved index lacks (a run that
    died between keeping a chunk and saving the index)."""

    def __init__(self, store: EmbeddingStore, path: Path) -> None:
        from paperfeed.search.vectors import EXACT_LIMIT, ExactVectorIndex, build_vector_index, open_vector_index

        self.store = store
        self.path = path
        self.index = open_vector_index(path, store.dim)
        self._saved_at = 0.0
        self._dirty = not self.path.exists()
        stored_ids = store.ids()
        if isinstance(self.index, ExactVectorIndex) and len(stored_ids) > EXACT_LIMIT:
            self.index = build_vector_index(*store.load(stored_ids))  # grown past exact search: HNSW now
            self._dirty = True
        else:
            self.catch_up(stored_ids)

    def catch_up(self, stored_ids: np.ndarray | None = None) -> None:
        """Add what the store keeps and the index lacks."""
        stored_ids = self.store.ids() if stored_ids is None else stored_ids
        missing = np.setdiff1d(stored_ids, self._indexed_ids(stored_ids), assume_unique=True)
        if len(missing):
            self.index.add(*self.store.load(missing))
            self._dirty = True

    def _indexed_ids(self, candidates: np.ndarray) -> np.ndarray:
        present = getattr(self.index, "present", None)
        return present(candidates).astype(np.int64) if present else np.asarray(self.index.ids)

    def add(self, ids, vectors) -> None:
        self.index.add(ids, vectors)
        self._dirty = True
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.save()

    def save(self) -> int:
        if self._dirty:
            self.index.save(self.path)
            self._dirty = False
        self._saved_at = time.monotonic()
        return len(self.index)


def _no_progress(_done: int, _total: int) -> None:
    pass


def update_index(
    settings: Settings,
    engine: sa.Engine,
    *,
    rebuild: bool = False,
    keyword: bool = True,
    semantic: bool = True,
    time_budget_s: float | None = None,
    on_keyword: Progress = _no_progress,
    on_semantic: Progress = _no_progress,
) -> dict:
    """Bring the keyword and/or semantic index up to date; returns what was done, for the CLI."""
    from paperfeed.search.keyword import KeywordIndex

    paths = IndexPaths(settings.data_dir / "index")
    report = {"keyword_indexed": 0, "keyword_total": 0, "embedded": 0, "vectors": 0}
    with engine.connect() as conn:
        report["papers"] = count_papers(conn)
    # One keyword writer per index folder: the jobs (keyword-index, index) and a `paperfeed index` by
    # hand take turns rather than fail on tantivy's own lock.
    with file_lock(paths.keyword_lock, KEYWORD_BUSY, wait_s=KEYWORD_WAIT_S):
        if rebuild:
            reset(paths)
        keyword_index = KeywordIndex.open(paths.keyword)
        try:
            if keyword:
                report["keyword_indexed"] = sync_keyword(engine, keyword_index, paths, on_keyword)
            report["keyword_total"] = keyword_index.count()
        finally:
            keyword_index.close()  # releases the index's write lock (and drops anything uncommitted)
    if semantic:
        # One embedding run at a time (e.g. `make run`'s background one and a manual one).
        with file_lock(paths.embedding_lock, EMBEDDING_BUSY):
            _update_semantic(settings, engine, paths, report, time_budget_s, on_semantic)
    return report


def _update_semantic(
    settings: Settings, engine: sa.Engine, paths: IndexPaths, report: dict, time_budget_s: float | None,
    on_semantic: Progress,
) -> None:
    from paperfeed.search.embedding import load_embedder

    embedder = load_embedder(settings.embedding_model, backend=settings.embedding_backend,
                             cache_dir=settings.resolved_models_dir, max_tokens=settings.embedding_max_tokens)
    slug = model_slug(settings.embedding_model)
    store = EmbeddingStore(paths.embeddings(slug), embedder.dim)
    writer = VectorIndexWriter(store, paths.vectors(slug))
    try:
        report["embedded"] = sync_embeddings(
            engine, embedder, store, on_progress=on_semantic, on_chunk=writer.add, time_budget_s=time_budget_s,
        )
    finally:  # also on Ctrl-C: what was embedded is served
        writer.catch_up()
        report["vectors"] = writer.save()
        store.close()
