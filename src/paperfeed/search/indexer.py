"""Bringing the search index up to date with the store. The index is derived data.

- Keyword: papers changed since the last synced change time are (re)indexed; tantivy's commit is
  atomic, and the watermark is written only after it, so a crash re-indexes a batch at worst.
- Semantic: every paper whose document text has no kept embedding (new, or its text changed) is
  embedded, newest first, and kept in the embedding store batch by batch; the vector index is
  rebuilt from the store and saved atomically now and then, so a reader always finds a whole one.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from paperfeed.db import index_docs
from paperfeed.db.papers import count_papers
from paperfeed.search import documents
from paperfeed.search.embedding_store import EmbeddingStore, text_hash

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total)
WATERMARK_OVERLAP = timedelta(seconds=60)


def _no_progress(_done: int, _total: int) -> None:
    pass


@dataclass(slots=True)
class IndexState:
    keyword_synced_at: str | None = None  # ISO time of the newest paper change indexed
    model: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IndexPaths:
    root: Path

    @property
    def keyword(self) -> Path:
        return self.root / "keyword"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def embedding_lock(self) -> Path:
        return self.root / "embedding.lock"

    @property
    def keyword_lock(self) -> Path:
        return self.root / "keyword.lock"

    def embeddings(self, model_slug: str) -> Path:
        return self.root / f"embeddings-{model_slug}.sqlite"

    def vectors(self, model_slug: str) -> Path:
        return self.root / f"vectors-{model_slug}"


def model_slug(model: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in model.strip("/").split("/")[-1])


def load_state(paths: IndexPaths) -> IndexState:
    if not paths.state.exists():
        return IndexState()
    return IndexState(**json.loads(paths.state.read_text()))


def keyword_synced_at(paths: IndexPaths) -> datetime | None:
    """The newest paper change the keyword index holds (its watermark); None before the first sync."""
    synced = load_state(paths).keyword_synced_at
    return datetime.fromisoformat(synced) if synced else None


def save_state(paths: IndexPaths, state: IndexState) -> None:
    paths.root.mkdir(parents=True, exist_ok=True)
    temporary = paths.state.with_suffix(".tmp")
    temporary.write_text(json.dumps({"keyword_synced_at": state.keyword_synced_at, "model": state.model,
                                     "extra": state.extra}))
    os.replace(temporary, paths.state)  # atomic: readers see the old state or the new one


def reset(paths: IndexPaths) -> None:
    """Forget the whole index (for --rebuild); kept embeddings stay unless asked otherwise."""
    shutil.rmtree(paths.keyword, ignore_errors=True)
    paths.state.unlink(missing_ok=True)


def sync_keyword(
    engine: sa.Engine, keyword_index, paths: IndexPaths, on_progress: Progress = _no_progress, batch_size: int = 5000
) -> int:
    """Index every paper changed since the last sync; returns how many were (re)indexed."""
    state = load_state(paths)
    since = None
    if state.keyword_synced_at:
        # Overlap a little: a writer's transaction may commit rows stamped just before the last
        # watermark after we read it. Re-indexing a few papers twice is harmless (upsert).
        since = datetime.fromisoformat(state.keyword_synced_at) - WATERMARK_OVERLAP
    with engine.connect() as conn:
        total = count_papers(conn)
        done = 0
        for rows in index_docs.paper_rows_modified_since(conn, since, batch_size):
            keyword_index.upsert(documents.index_docs(rows))
            keyword_index.commit()
            state.keyword_synced_at = rows[-1].modified_at.isoformat()  # the batch's newest change
            save_state(paths, state)
            done += len(rows)
            on_progress(done, total)
    return done


def pending_embeddings(engine: sa.Engine, store: EmbeddingStore) -> list[int]:
    """Ids of the papers whose current text has no kept embedding, newest first."""
    known = store.known_hashes()
    with engine.connect() as conn:
        return [
            paper_id
            for rows in index_docs.paper_texts_newest_first(conn)
            for paper_id, text in documents.document_texts(rows).items()
            if known.get(paper_id) != text_hash(text)
        ]


def sync_embeddings(
    engine: sa.Engine,
    embedder,
    store: EmbeddingStore,
    *,
    chunk_size: int = 512,
    on_progress: Progress = _no_progress,
    on_chunk: Callable[[list[int], np.ndarray], None] | None = None,
    time_budget_s: float | None = None,
) -> int:
    """Embed what is pending, newest first, keeping each chunk as it is done; returns how many.

    Texts are read chunk by chunk (no long read transaction, little memory). `on_chunk` gets each
    kept chunk's ids and vectors (the caller adds them to the vector index); `time_budget_s` stops early,
    leaving the rest for the next run.
    """
    pending = pending_embeddings(engine, store)
    started = time.monotonic()
    done = 0
    for start in range(0, len(pending), chunk_size):
        with engine.connect() as conn:
            texts = documents.document_texts(index_docs.paper_texts_by_ids(conn, pending[start:start + chunk_size]))
        ids = list(texts)
        vectors = embedder.embed_documents([texts[pid] for pid in ids])
        store.put(ids, [text_hash(texts[pid]) for pid in ids], vectors)
        if on_chunk is not None:
            on_chunk(ids, vectors)
        done += len(pending[start:start + chunk_size])
        on_progress(done, len(pending))
        if time_budget_s is not None and time.monotonic() - started > time_budget_s:
            log.info("embedding stopped after %.0f s with %d of %d done", time_budget_s, done, len(pending))
            break
    return done
