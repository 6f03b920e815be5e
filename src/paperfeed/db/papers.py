"""Storing papers: batched upserts that merge each record into the paper it names, and reads."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.schema import paper_categories, papers
from paperfeed.errors import NotFound
from paperfeed.identity import is_arxiv_id, normalize_doi, split_arxiv_id
from paperfeed.merge import merge_record, paper_from_record
from paperfeed.models import Paper, PaperRecord

_IDS_PER_QUERY = 2000  # an IN list this long stays well under SQLite's and PostgreSQL's bound-parameter limits
_PAPER_FIELDS = [
    "key", "arxiv_id", "doi", "title_key", "title", "abstract", "authors", "categories", "sources",
    "version", "published_on", "updated_on", "announced_on", "abs_url", "pdf_url", "code_url",
    "project_url", "text_rank",
]


@dataclass(slots=True)
class UpsertOutcome:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    paper_ids: list[int] = field(default_factory=list)  # aligned with the records given


def paper_from_row(row: sa.Row) -> Paper:
    values = row._mapping
    return Paper(id=values["id"], **{name: values[name] for name in _PAPER_FIELDS})


def _row_values(paper: Paper) -> dict:
    values = {name: getattr(paper, name) for name in _PAPER_FIELDS}
    values["primary_category"] = paper.primary_category
    return values


def _last_name(names: Sequence[str]) -> str:
    return names[0].split()[-1].casefold() if names and names[0].split() else ""


def _same_work(paper: Paper, record: PaperRecord) -> bool:
    """Title fingerprints match; do the ids and the first author's last name agree too?"""
    if paper.arxiv_id and record.arxiv_id and paper.arxiv_id != record.arxiv_id:
        return False
    if paper.doi and record.doi and paper.doi != record.doi:
        return False
    first, other = _last_name(paper.authors), _last_name(record.authors)
    return not first or not other or first == other


class _BatchIndex:
    """The papers a batch touches, findable by arXiv id, DOI, key and title fingerprint."""

    def __init__(self) -> None:
        self.by_arxiv: dict[str, int] = {}
        self.by_doi: dict[str, int] = {}
        self.by_key: dict[str, int] = {}
        self.by_title: dict[str, list[int]] = {}
        self.papers: list[Paper] = []

    def add(self, paper: Paper) -> int:
        slot = len(self.papers)
        self.papers.append(paper)
        self._register(slot, paper)
        return slot

    def put(self, slot: int, paper: Paper) -> None:
        self.papers[slot] = paper
        self._register(slot, paper)

    def _register(self, slot: int, paper: Paper) -> None:
        if paper.arxiv_id:
            self.by_arxiv[paper.arxiv_id] = slot
        if paper.doi:
            self.by_doi[paper.doi] = slot
        self.by_key[paper.key] = slot
        slots = self.by_title.setdefault(paper.title_key, [])
        if slot not in slots:
            slots.append(slot)

    def find(self, record: PaperRecord, fresh: Paper) -> int | None:
        """The slot of the paper `record` names (`fresh` is the paper it would make on its own)."""
        if record.arxiv_id and record.arxiv_id in self.by_arxiv:
            return self.by_arxiv[record.arxiv_id]
        if record.doi and record.doi in self.by_doi:
            return self.by_doi[record.doi]
        if fresh.key in self.by_key:
            return self.by_key[fresh.key]
        for slot in self.by_title.get(fresh.title_key, ()):
            if _same_work(self.papers[slot], record):
                return slot
        return None


def _load_candidates(conn: sa.Connection, fresh: Sequence[Paper]) -> list[Paper]:
    """Stored papers that any of the batch's papers could be: same arXiv id, DOI, key or title."""
    arxiv_ids = {p.arxiv_id for p in fresh if p.arxiv_id}
    dois = {p.doi for p in fresh if p.doi}
    clauses = [papers.c.key.in_({p.key for p in fresh}), papers.c.title_key.in_({p.title_key for p in fresh})]
    if arxiv_ids:
        clauses.append(papers.c.arxiv_id.in_(arxiv_ids))
    if dois:
        clauses.append(papers.c.doi.in_(dois))
    columns = [papers.c.id, *(papers.c[name] for name in _PAPER_FIELDS)]
    rows = conn.execute(sa.select(*columns).where(sa.or_(*clauses)))
    return [paper_from_row(row) for row in rows]


def _insert_rows(conn: sa.Connection, table: sa.Table, rows: list[tuple]) -> None:
    """A plain executemany through the driver: for the small lookup rows of an ingest,
    SQLAlchemy's per-row parameter processing would cost more than the database itself."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    columns = ", ".join(column.name for column in table.columns)
    placeholders = ", ".join([marker] * len(table.columns))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({placeholders})", rows)


def _write_categories(conn: sa.Connection, changed: list[Paper], replace_existing: bool) -> None:
    if not changed:
        return
    if replace_existing:
        ids = [p.id for p in changed]
        conn.execute(paper_categories.delete().where(paper_categories.c.paper_id.in_(ids)))
    category_rows = [(p.id, category) for p in changed for category in dict.fromkeys(p.categories)]
    if category_rows:
        _insert_rows(conn, paper_categories, category_rows)


def upsert_papers(conn: sa.Connection, records: Sequence[PaperRecord], now: datetime | None = None) -> UpsertOutcome:
    """Merge normalized records into the store in one round of queries; report what changed."""
    now = now or datetime.now(UTC)
    fresh = [paper_from_record(r) for r in records]
    index = _BatchIndex()
    originals: dict[int, Paper] = {}  # slot -> paper as loaded, to tell what changed
    for paper in _load_candidates(conn, fresh):
        originals[index.add(paper)] = paper
    record_slots = []
    for record, paper in zip(records, fresh, strict=True):
        slot = index.find(record, paper)
        if slot is None:
            slot = index.add(paper)
        else:
            index.put(slot, merge_record(index.papers[slot], record))
        record_slots.append(slot)

    touched = set(record_slots)
    new = [index.papers[s] for s in sorted(touched) if s not in originals]
    changed_slots = [s for s in sorted(touched) if s in originals and index.papers[s] != originals[s]]
    changed = [index.papers[s] for s in changed_slots]
    if new:
        conn.execute(papers.insert(), [{**_row_values(p), "created_at": now, "modified_at": now} for p in new])
        # Read the new ids back by key: SQLite cannot return ids of a multi-row insert in order.
        new_keys = {p.key for p in new}
        ids = dict(conn.execute(sa.select(papers.c.key, papers.c.id).where(papers.c.key.in_(new_keys))).all())
        for paper in new:
            paper.id = ids[paper.key]
        _write_categories(conn, new, replace_existing=False)
    if changed:
        conn.execute(
            papers.update().where(papers.c.id == sa.bindparam("_id")),
            [{**_row_values(p), "_id": p.id, "modified_at": now} for p in changed],
        )
        recategorized = [
            paper for slot, paper in zip(changed_slots, changed, strict=True)
            if paper.categories != originals[slot].categories
        ]
        _write_categories(conn, recategorized, replace_existing=True)
    return UpsertOutcome(
        added=len(new),
        updated=len(changed),
        unchanged=len(records) - len(new) - len(changed),
        paper_ids=[index.papers[s].id for s in record_slots],
    )


def get_paper(conn: sa.Connection, key: str, *, exact: bool = False) -> Paper:
    """A paper by its key, arXiv id (with or without version) or DOI; NotFound otherwise.

    A DOI is looked up too because a paper first stored as 'doi:...' is re-keyed by its arXiv id
    once one is known, and old links must keep working. By default an id is also found inside a
    longer text (an arXiv URL, 'arXiv:2410.17243v2'); `exact` takes `key` as a URL path names a
    paper: the whole of it is the key, the arXiv id (any version) or the DOI, so '2410.17243xyz'
    or '2410.17243/foo' is no paper rather than 2410.17243.
    """
    candidates = {key}
    if not exact or is_arxiv_id(key):
        with contextlib.suppress(ValueError):
            candidates.add(split_arxiv_id(key)[0])
    clauses = [papers.c.key.in_(candidates), papers.c.arxiv_id.in_(candidates)]
    doi = normalize_doi(key)
    if exact and doi != key.strip().lower().removeprefix("doi:"):
        doi = None
    if doi:
        clauses.append(papers.c.doi == doi)
    row = conn.execute(sa.select(papers).where(sa.or_(*clauses)).order_by(papers.c.id)).first()
    if row is None:
        raise NotFound(f"no paper {key!r}")
    return paper_from_row(row)


def papers_by_ids(conn: sa.Connection, paper_ids: Iterable[int]) -> dict[int, Paper]:
    """The stored papers among these ids, whole rows keyed by id; ids of no paper (deleted since) are left
    out. Callers put them in their own order. Any number of ids: they are read a chunk at a time."""
    ids = list(dict.fromkeys(paper_ids))
    found = {}
    for start in range(0, len(ids), _IDS_PER_QUERY):
        rows = conn.execute(sa.select(papers).where(papers.c.id.in_(ids[start:start + _IDS_PER_QUERY])))
        found.update((row.id, paper_from_row(row)) for row in rows)
    return found


def count_papers(conn: sa.Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(papers)).scalar_one()
