"""Citation files into and out of a reader's library. An import reads the file (paperfeed.citations:
BibTeX, RIS, CSL-JSON or a list of ids, a bad entry reported with its line and the rest kept), finds
each paper in the store or fetches it from arXiv (citation_fetch), lists the rest as not found, and
saves what it found, into a collection when asked. An export writes the library's or one collection's
papers as BibTeX, RIS or CSL-JSON, newest saved first. The web pages, the API and the CLI call these.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from paperfeed.citation_fetch import fetch_missing
from paperfeed.citations import CitationProblem, CitedWork, ExportFormat, export_citations, parse_citations
from paperfeed.config import Settings
from paperfeed.db.collections import Collection, collection_by_name, get_collection
from paperfeed.db.library import save_paper, saved_paper_ids
from paperfeed.db.papers import papers_by_ids
from paperfeed.http import HttpClient
from paperfeed.library import collection_name


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    collection: Collection | None  # where the papers went, if anywhere
    saved: int  # newly saved
    already_saved: int
    fetched: int  # new to the store, fetched from arXiv
    not_found: list[CitedWork]  # found neither in the store nor on arXiv
    problems: list[CitationProblem]  # entries the file could not say anything usable about
    unfetched: str | None = None  # why some papers were not asked of arXiv (unreachable, too many)


def named_work(work: CitedWork, *, line: bool = True) -> str:
    """How a report names a work it could not find: its id or title, and where it is in the file."""
    name = f"arXiv:{work.arxiv_id}" if work.arxiv_id else f"doi:{work.doi}" if work.doi else f"“{work.title}”"
    return f"{name} (line {work.line})" if line else name


def import_citations(engine: sa.Engine, settings: Settings, user_id: int, data: bytes, *,
                     filename: str | None = None, format: str | None = None, collection_id: int | None = None,
                     new_collection: str | None = None, client: HttpClient | None = None) -> ImportOutcome:
    """Save the papers a citation file names to the reader's library, into `collection_id` or into the
    collection named `new_collection` (made if it does not exist). InvalidInput for a file over the size
    limit or in no known format; NotFound for a collection that is not the reader's (checked before any
    fetching). `format` is one of citations.IMPORT_FORMATS, else the file name or the content tells."""
    name = collection_name(new_collection) if new_collection and new_collection.strip() else None
    if collection_id is not None:
        with engine.connect() as conn:
            get_collection(conn, user_id, collection_id)
    parsed = parse_citations(data, filename=filename, format=format)
    found = fetch_missing(engine, settings, parsed.works, client=client)
    with engine.begin() as conn:
        collection = (collection_by_name(conn, user_id, name, create=True) if name else
                      get_collection(conn, user_id, collection_id) if collection_id is not None else None)
        into = [collection.id] if collection else []
        added = sum(save_paper(conn, user_id, paper_id, collection_ids=into) for paper_id in found.stored_ids)
        if collection:
            collection = get_collection(conn, user_id, collection.id)  # with its new number of papers
    return ImportOutcome(collection, added, len(found.stored_ids) - added, len(found.fetched),
                         found.not_found, parsed.problems, found.unfetched_reason)


def export_library(conn: sa.Connection, user_id: int, format: ExportFormat, collection_id: int | None = None) -> str:
    """The reader's library (or one collection) as one BibTeX, RIS or CSL-JSON document."""
    ids = saved_paper_ids(conn, user_id, collection_id)
    found = papers_by_ids(conn, ids)
    return export_citations([found[paper_id] for paper_id in ids if paper_id in found], format)
