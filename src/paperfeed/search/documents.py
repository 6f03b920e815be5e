"""What the search index makes of a paper: its IndexDoc (keyword index) and its document text (what
the semantic leg embeds). Pure: the rows come from db/index_docs.py."""

from __future__ import annotations

from collections.abc import Iterable

from paperfeed.search.base import IndexDoc


def document_text(title: str, abstract: str) -> str:
    """What the semantic leg embeds for a paper."""
    return f"{title}. {abstract}" if abstract else title


def index_docs(rows: Iterable) -> list[IndexDoc]:
    """IndexDocs of rows with id, title, abstract, authors, categories and day."""
    return [
        IndexDoc(paper_id=row.id, title=row.title, abstract=row.abstract, authors=tuple(row.authors),
                 categories=tuple(row.categories), day=row.day)
        for row in rows
    ]


def document_texts(rows: Iterable) -> dict[int, str]:
    """Paper id -> document text of rows with id, title and abstract, in the rows' order."""
    return {row.id: document_text(row.title, row.abstract) for row in rows}
