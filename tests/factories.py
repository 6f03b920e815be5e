"""The one home of the test papers: a record as a source reports it, the Paper the store makes of it,
the same record stored in a test database, and a Hugging Face listing for a stored paper. Every default
lives here once; a test passes each value its assertions rely on.

    make_record()                       "Attention Is All You Need", as a JSONL file would give it
    make_record(3, announced_on=DAY)    paper number 3 of a batch (arXiv id 2405.00003), new on DAY
    make_paper(3, authors=("A. Ng",))   what the store holds after ingesting that record alone, id 3
    store_paper(engine, 3)              make_record(3) upserted; returns its id
    feature(engine, paper_id, DAY, 5)   listed on Hugging Face's daily papers of DAY with 5 upvotes
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import upsert_papers
from paperfeed.merge import paper_from_record
from paperfeed.models import Listing, Paper, PaperRecord

RECORD_DEFAULTS = {
    "source": "jsonl",
    "title": "Attention Is All You Need",
    "abstract": "The dominant sequence transduction models are based on complex recurrent networks.",
    "authors": ("Ashish Vaswani", "Noam Shazeer"),
    "categories": ("cs.CL", "cs.LG"),
    "arxiv_id": "1706.03762",
}


def arxiv_id(n: int) -> str:
    """The arXiv id of paper number `n` of a batch."""
    return f"2405.{n:05d}"


def make_record(n: int | None = None, **overrides) -> PaperRecord:
    """A valid PaperRecord, not yet normalized; override any field. Without `n` it is the one default
    paper; paper number `n` of a batch differs from it only by its arXiv id and title ("Paper number n")."""
    numbered = {} if n is None else {"arxiv_id": arxiv_id(n), "title": f"Paper number {n}"}
    return PaperRecord(**{**RECORD_DEFAULTS, **numbered, **overrides})


def make_paper(n: int | None = None, **overrides) -> Paper:
    """The Paper the store holds after ingesting make_record(n, **overrides) alone, with id `n`: for the
    pure code that takes papers (digest composition and mails, filter checks)."""
    paper = paper_from_record(make_record(n, **overrides))
    paper.id = n
    return paper


def store_paper(engine: sa.Engine, n: int | None = None, **overrides) -> int:
    """Upsert make_record(n, **overrides) as it is (unnormalized: hostile-input tests store raw text) and
    return the paper's id."""
    with engine.begin() as conn:
        return upsert_papers(conn, [make_record(n, **overrides)]).paper_ids[0]


def feature(engine: sa.Engine, paper_id: int, day: date, upvotes: int = 0) -> None:
    """List a stored paper on Hugging Face's daily papers of `day`, as the hf-daily ingest does."""
    with engine.begin() as conn:
        upsert_listings(conn, [Listing(paper_id, day, "hf-daily", upvotes=upvotes)])
