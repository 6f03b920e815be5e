"""`paperfeed index`: keyword sync, then embeddings, with the vector index saved as it grows."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.search import documents
from paperfeed.search.embedding_store import EmbeddingStore
from paperfeed.search.indexer import IndexPaths, Progress, model_slug, reset, sync_embeddings, sync_keyword

log = logging.getLogger(__name__)

SAVE_EVERY_S = 30.0  # how stale the served vector index may get while embeddings are computed


class VectorIndexWriter:
    """Rebuilds the vector index from the embedding store and saves it atomically, at most every
    SAVE_EVERY_S seconds during a run and once at its end, so search sees progress as it happens."""

    def __init__(self, store: EmbeddingStore, path) -> None:
        self.store = store
        self.path = path
        self._saved_at = 0.0

    def maybe_save(self) -> None:
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.save()

    def save(self) -> int:
        from paperfeed.search.vectors import build_vector_index

        ids, vectors = self.store.load_all()
        build_vector_index(ids, vectors).save(self.path)
        self._saved_at = time.monotonic()
        return len(ids)


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
    if rebuild:
        reset(paths)
    report = {"keyword_indexed": 0, "keyword_total": 0, "embedded": 0, "vectors": 0}
    with engine.connect() as conn:
        report["papers"] = documents.count_papers(conn)
    keyword_index = KeywordIndex.open(paths.keyword)
    try:
        if keyword:
            report["keyword_indexed"] = sync_keyword(engine, keyword_index, paths, on_keyword)
        report["keyword_total"] = keyword_index.count()
    finally:
        keyword_index.close()  # releases the index's write lock (and drops anything uncommitted)
    if semantic:
        from paperfeed.search.embed import load_embedder

        embedder = load_embedder(settings.embedding_model, backend=settings.embedding_backend,
                                 cache_dir=settings.resolved_models_dir, max_tokens=settings.embedding_max_tokens)
        slug = model_slug(settings.embedding_model)
        store = EmbeddingStore(paths.embeddings(slug), embedder.dim)
        writer = VectorIndexWriter(store, paths.vectors(slug))
        try:
            report["embedded"] = sync_embeddings(
                engine, embedder, store, on_progress=on_semantic, on_chunk=writer.maybe_save,
                time_budget_s=time_budget_s,
            )
        finally:  # also on Ctrl-C: what was embedded is served
            report["vectors"] = writer.save()
            store.close()
    return report
