"""The search front: what the CLI and the web app call. Parses, runs both legs, fuses, fetches rows.

    service = SearchService.open(settings, engine)
    results = service.search("diffusion distillation", Filters(categories=("cs.CV",)), limit=20)
    similar = service.similar("2410.17243")

The semantic leg is optional at every moment: before any paper is embedded, or while the
background embedding is still running, search uses what is ready and says so in `notes`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db.papers import count_papers, get_paper, papers_by_ids
from paperfeed.errors import InvalidInput
from paperfeed.identity import name_key
from paperfeed.models import Paper
from paperfeed.search.base import Filters, ParsedQuery, Ranked
from paperfeed.search.fusion import FusionWeights, fuse, fuse_bounded, fuse_many
from paperfeed.search.indexer import IndexPaths, model_slug
from paperfeed.search.query import parse_query

log = logging.getLogger(__name__)

MAX_LIMIT = 100
MAX_OFFSET = 1_000
OVERSAMPLE = 5  # filtered semantic leg: neighbours looked at per result wanted, before the exact fallback
DEEPER = 4  # ...and how much further it looks once when too few of those passed the filter
RELOAD_CHECK_S = 10.0  # how often a long-lived service looks for a newer vector index file
COVERAGE_TTL_S = 30.0  # how long the count behind "semantic index N% ready" is reused
NO_FILTERS = Filters()
LegObserver = Callable[[str, float], None]  # (leg: keyword, semantic or fusion; seconds it took)


@dataclass(frozen=True, slots=True)
class Hit:
    paper: Paper
    score: float


@dataclass(slots=True)
class SearchResults:
    query: str
    hits: list[Hit]
    offset: int
    limit: int
    more: bool  # another page exists
    notes: list[str] = field(default_factory=list)
    semantic_coverage: float = 0.0  # share of the papers the semantic leg could see


def passes(paper: Paper, filters: Filters) -> bool:
    """Does a stored paper satisfy the filters? The last word, whatever the index says."""
    day = paper.day
    if filters.since and (day is None or day < filters.since):
        return False
    if filters.until and (day is None or day > filters.until):
        return False
    if filters.categories and not any(
        c == wanted or c.startswith(wanted + ".") for c in paper.categories for wanted in filters.categories
    ):
        return False
    if filters.authors:
        names = {name_key(a) for a in paper.authors}
        if not any(name_key(wanted) in names for wanted in filters.authors):
            return False
    return True


def _by_date(hits: list[Hit]) -> list[Hit]:
    return sorted(hits, key=lambda h: h.paper.day or date.min, reverse=True)


class SearchService:
    def __init__(self, settings: Settings, engine: sa.Engine, keyword_index, embedder=None, vectors=None,
                 weights: FusionWeights | None = None, observe_leg: LegObserver | None = None) -> None:
        self.settings = settings
        self.engine = engine
        self.keyword = keyword_index
        self._embedder = embedder
        self.vectors = vectors
        self.weights = weights or FusionWeights(
            keyword=settings.fusion_keyword_weight, semantic=1.0 - settings.fusion_keyword_weight,
            method=settings.fusion_method, dense_floor=settings.fusion_dense_floor,
        )
        self.observe_leg = observe_leg  # told how long each leg of a search took (the web app's metrics)
        self._lock = threading.Lock()
        self._paper_count: tuple[int, float] | None = None
        self._vector_path = None

    @classmethod
    def open(cls, settings: Settings, engine: sa.Engine) -> SearchService:
        from paperfeed.search.keyword import KeywordIndex

        paths = IndexPaths(settings.data_dir / "index")
        service = cls(settings, engine, KeywordIndex.open(paths.keyword))
        service.follow_vector_file(paths.vectors(model_slug(settings.embedding_model)))
        return service

    def follow_vector_file(self, path) -> None:
        """Serve the vector index saved at `path`, and pick up newer saves (background embedding)."""
        self._vector_path, self._vector_mtime, self._checked_at = path, None, 0.0
        self._reload_vectors_if_newer()

    def _reload_vectors_if_newer(self) -> None:
        if self._vector_path is None or time.monotonic() - self._checked_at < RELOAD_CHECK_S:
            return
        from paperfeed.search.vectors import load_vector_index

        self._checked_at = time.monotonic()
        try:
            mtime = self._vector_path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime != self._vector_mtime:  # saves are atomic renames: a whole new file or the old one
            self.vectors, self._vector_mtime = load_vector_index(self._vector_path), mtime

    @property
    def embedder(self):
        """Loaded on first semantic query: start-up stays fast and keyword search needs no model."""
        with self._lock:
            if self._embedder is None:
                from paperfeed.search.embedding import load_embedder

                self._embedder = load_embedder(
                    self.settings.embedding_model, backend=self.settings.embedding_backend,
                    cache_dir=self.settings.resolved_models_dir, max_tokens=self.settings.embedding_max_tokens,
                )
            return self._embedder

    def semantic_coverage(self) -> float:
        now = time.monotonic()
        if self._paper_count is None or now - self._paper_count[1] > COVERAGE_TTL_S:
            with self.engine.connect() as conn:  # COUNT(*) scans: not on every query
                self._paper_count = (count_papers(conn), now)
        total = self._paper_count[0]
        ready = len(self.vectors) if self.vectors is not None else 0
        return min(1.0, ready / total) if total else 0.0

    @contextmanager
    def _timed(self, leg: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if self.observe_leg is not None:
            self.observe_leg(leg, time.perf_counter() - started)

    def _semantic_ready(self) -> bool:
        self._reload_vectors_if_newer()
        return self.vectors is not None and len(self.vectors) > 0

    def _semantic_leg(self, text: str, filters: Filters, depth: int) -> Ranked:
        if not self._semantic_ready() or not text:
            return []  # not run, so not timed: a keyword-only instance reports no semantic latency
        with self._timed("semantic"):
            return self._nearest(text, filters, depth)

    def _nearest(self, text: str, filters: Filters, depth: int) -> Ranked:
        return self._nearest_to(self.embedder.embed_query(text), filters, depth)

    def _nearest_to(self, query, filters: Filters, depth: int) -> Ranked:
        if not filters.active:
            return self.vectors.search(query, depth)
        # Most filters keep a good share of the papers: look a few times deeper without the filter
        # and keep the neighbours that pass it. Only when too few pass (a narrow filter) search
        # exactly within the whole filtered set, which costs more the broader the filter is.
        looked = OVERSAMPLE * depth
        for attempt in range(2):
            nearest = self.vectors.search(query, looked)
            passing = self.keyword.filter_ids([pid for pid, _ in nearest], filters)
            kept = [(pid, score) for pid, score in nearest if pid in passing]
            if len(kept) >= depth or len(nearest) < looked:
                return kept[:depth]
            # Once more, DEEPER times as far, when the share that passed promises enough there: at 1M
            # papers that costs ~20 ms where the filtered search below costs ~45 ms (150K matching ids).
            if attempt or len(kept) * DEEPER < depth:
                break
            looked *= DEEPER
        return self.vectors.search(query, depth, allowed_ids=self.keyword.matching_ids(filters))

    def rank(self, text: str, filters: Filters = NO_FILTERS, depth: int = 100) -> Ranked:
        """The ranking behind search() (bench/quality.py scores it): paper ids, best first, before the
        store's last check of the filters."""
        parsed = parse_query(text or "")
        if parsed.is_empty:  # filters only: the newest matching papers
            with self._timed("keyword"):
                return self.keyword.search(parsed, filters, depth, sort="date")
        with self._timed("keyword"):
            keyword = self.keyword.search(parsed, filters, depth)
        # Fielded-only queries (au:"...", cat:...) are lookups, not topics: no semantic leg.
        if not (parsed.terms or parsed.phrases) or not parsed.semantic_text or not self._semantic_ready():
            return keyword
        if self.weights.method != "bounded":
            semantic = self._semantic_leg(parsed.semantic_text, filters, depth)
            with self._timed("fusion"):
                return fuse(keyword, semantic, self.weights) if semantic else keyword
        with self._timed("semantic"):
            query = self.embedder.embed_query(parsed.semantic_text)
            semantic = self._nearest_to(query, filters, depth)
        with self._timed("fusion"):
            return self._judge_union(parsed, filters, keyword, semantic, query, depth)

    def _judge_union(self, parsed: ParsedQuery, filters: Filters, keyword: Ranked, semantic: Ranked, query,
                     depth: int) -> Ranked:
        """Both legs' candidates, each judged by both: the BM25 of the semantic leg's finds (0 for none of
        the words) and the exact cosine of the keyword leg's (none for a paper not embedded yet)."""
        from paperfeed.search.vectors import cosines_of  # numpy and usearch: not for keyword-only search

        lexical = dict(keyword)
        unscored = [pid for pid, _ in semantic if pid not in lexical]
        lexical.update({pid: 0.0 for pid in unscored})
        lexical.update(self.keyword.search(parsed, filters, len(unscored), among=unscored))
        dense = dict(semantic)
        dense.update(cosines_of(self.vectors, query, [pid for pid, _ in keyword if pid not in dense]))
        return fuse_bounded(lexical, dense, self.weights, limit=depth)

    def _fetch(self, ranked: Ranked, filters: Filters, offset: int, limit: int) -> tuple[list[Hit], bool]:
        """Rows for the ranked ids of the page (and one more, to tell if another page exists), dropping any
        the store says fail the filters (a stale index); reads further down the ranking only if it must."""
        wanted = offset + limit + 1
        kept: list[Hit] = []
        start = 0
        with self.engine.connect() as conn:
            while len(kept) < wanted and start < len(ranked):
                chunk = ranked[start:start + max(wanted - len(kept), 20)]
                start += len(chunk)
                rows = papers_by_ids(conn, [pid for pid, _ in chunk])
                kept += [Hit(rows[pid], score) for pid, score in chunk if pid in rows and passes(rows[pid], filters)]
        return kept[offset:offset + limit], len(kept) > offset + limit

    def search(self, text: str, filters: Filters = NO_FILTERS, *, limit: int = 20, offset: int = 0,
               sort: str = "relevance") -> SearchResults:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be 1-{MAX_LIMIT}, not {limit}")
        if not 0 <= offset <= MAX_OFFSET:  # a page number too far reaches here as its offset: say why
            raise InvalidInput(f"search results go {MAX_OFFSET:,} deep; this page would start at result {offset:,}")
        if sort not in ("relevance", "date"):
            raise InvalidInput("sort must be 'relevance' or 'date'")
        parsed = parse_query(text or "")
        if parsed.is_empty and not filters.active:
            raise InvalidInput("empty query: type a few words, a \"phrase\", or ti:/au:/abs:/cat: terms")
        depth = max(100, 2 * (offset + limit) + 20)
        ranked = self.rank(text, filters, depth)
        hits, more = self._fetch(ranked, filters, 0 if sort == "date" else offset, depth if sort == "date" else limit)
        if sort == "date":  # the most relevant results, newest first
            ordered = _by_date(hits)
            hits, more = ordered[offset:offset + limit], len(ordered) > offset + limit
        coverage = self.semantic_coverage()
        notes = list(parsed.notes)
        if coverage < 1.0 and not parsed.is_empty:
            notes.append(f"semantic index {coverage:.0%} ready: meaning-based matches cover only part of the papers")
        return SearchResults(text, hits, offset, limit, more, notes, coverage)

    def similar(self, key: str, *, limit: int = 10) -> SearchResults:
        """More like this: the paper's own embedding plus its title's words, the paper itself left out."""
        with self.engine.connect() as conn:
            paper = get_paper(conn, key)
        parsed = parse_query(paper.title)
        depth = 3 * limit + 20
        keyword = [(pid, s) for pid, s in self.keyword.search(parsed, NO_FILTERS, depth) if pid != paper.id]
        semantic: Ranked = []
        if self.vectors is not None and len(self.vectors):
            from paperfeed.search.documents import document_text

            vector = self.embedder.embed_query(document_text(paper.title, paper.abstract))
            semantic = [(pid, s) for pid, s in self.vectors.search(vector, depth + 1) if pid != paper.id]
        ranked = fuse_many([(keyword, self.weights.keyword), (semantic, self.weights.semantic)], limit=depth)
        hits, more = self._fetch(ranked, NO_FILTERS, 0, limit)
        return SearchResults(f"similar:{paper.key}", hits, 0, limit, more, [], self.semantic_coverage())
