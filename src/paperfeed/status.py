"""The instance's state for the person who runs it (`paperfeed status`, /admin/status): every job's last
and next run and last error, papers per source per day, the keyword and semantic indexes' coverage
and lag, the embedding queue, digests by status, and the database's and indexes' size on disk.

    report = instance_status(engine, settings)   # a dict, JSON-ready once dumped with orjson
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.digests import count_by_status
from paperfeed.db.papers import count_papers
from paperfeed.db.stats import newest_change_at, postgres_database_bytes, sources_and_arrivals_since
from paperfeed.jobs.states import job_rows
from paperfeed.search.embedding_store import EmbeddingStore
from paperfeed.search.indexer import IndexPaths, keyword_synced_at, model_slug

RECENT_DAYS = 14


def papers_by_source_and_day(conn: sa.Connection, today: date, days: int = RECENT_DAYS) -> dict[str, dict[str, int]]:
    """Day (when the paper first reached the store, UTC) -> source -> papers, for the last `days` days,
    newest first; every day is listed, an idle one with nothing."""
    since = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    counts: dict[date, Counter[str]] = defaultdict(Counter)
    for sources, created_at in sources_and_arrivals_since(conn, since):
        for source in sources:
            counts[created_at.astimezone(UTC).date()][source] += 1
    return {str(today - timedelta(days=back)): dict(counts[today - timedelta(days=back)].most_common())
            for back in range(days)}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) if path.is_dir() else 0


def database_bytes(engine: sa.Engine, conn: sa.Connection) -> int | None:
    if engine.dialect.name == "postgresql":
        return postgres_database_bytes(conn)
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return sum(_size(Path(database + suffix)) for suffix in ("", "-wal", "-shm"))


def _keyword_count(paths: IndexPaths) -> int | None:
    if not (paths.keyword / "meta.json").exists():  # not built: opening it would create an empty one
        return None
    from paperfeed.search.keyword import KeywordIndex

    index = KeywordIndex.open(paths.keyword)
    try:
        return index.count()
    finally:
        index.close()


def _embedded_count(path: Path) -> int:
    dim = EmbeddingStore.stored_dim(path) if path.exists() else None
    if dim is None:
        return 0
    store = EmbeddingStore(path, dim)
    try:
        return store.count()
    finally:
        store.close()


def index_status(conn: sa.Connection, settings: Settings, paper_count: int) -> dict:
    paths = IndexPaths(settings.data_dir / "index")
    slug = model_slug(settings.embedding_model)
    keyword_docs = _keyword_count(paths)
    synced_at, newest = keyword_synced_at(paths), newest_change_at(conn)
    lag = None if synced_at is None else max(0.0, ((newest or synced_at) - synced_at).total_seconds())
    embedded = _embedded_count(paths.embeddings(slug))
    return {
        "keyword": {"built": keyword_docs is not None, "papers": keyword_docs or 0,
                    "coverage": (keyword_docs or 0) / paper_count if paper_count else 0.0,
                    "synced_through": synced_at, "lag_s": lag},
        "semantic": {"model": settings.embedding_model, "papers": embedded,
                     "coverage": embedded / paper_count if paper_count else 0.0,
                     "queue": max(0, paper_count - embedded)},  # changed texts are re-embedded too, on top
        "bytes": {"keyword": _size(paths.keyword), "embeddings": _size(paths.embeddings(slug)),
                  "vectors": _size(paths.vectors(slug)), "all": _size(paths.root)},
    }


def instance_status(engine: sa.Engine, settings: Settings, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        paper_count = count_papers(conn)
        digests = count_by_status(conn)
        return {
            "at": now,
            "jobs": job_rows(conn, settings),
            "papers": {"total": paper_count, "by_day": papers_by_source_and_day(conn, now.date())},
            "index": index_status(conn, settings, paper_count),
            "digests": {"sent": digests.get("sent", 0), "failed": digests.get("failed", 0),
                        "pending": digests.get("pending", 0), "by_status": digests},
            "database": {"dialect": engine.dialect.name, "bytes": database_bytes(engine, conn)},
        }
