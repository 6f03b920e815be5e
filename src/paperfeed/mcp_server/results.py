"""What the MCP tools return: small typed shapes (the SDK publishes them as each tool's output schema)
built from the cards the web lists hold. Pure: cards in, models out.

Compact for a model's context: lists name each paper by the `id` that `paper` and `similar` take,
cut long author lists, and carry abstracts only when asked; empty fields are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field, model_serializer

from paperfeed.web.cards import Card, paper_path

LISTED_AUTHORS = 10  # a list item names the first ten; `paper` gives them all


class Compact(BaseModel):
    """Serializes without its empty fields (None): every absent field is optional in the schema."""

    @model_serializer(mode="wrap")
    def _without_empty(self, handler):
        return {name: value for name, value in handler(self).items() if value is not None}


class PaperItem(Compact):
    """One paper of a list."""

    id: str = Field(description="The paper's key (its arXiv id when it has one): pass it to `paper` or `similar`.")
    title: str
    authors: list[str] = Field(description=f"The first {LISTED_AUTHORS} authors, in order.")
    authors_total: int
    published: date | None = Field(None, description="Day of the first version.")
    categories: list[str] = Field(description="arXiv categories, the primary one first.")
    upvotes: int
    url: str = Field(description="The paper's page on this paperfeed instance.")
    pdf_url: str | None = None
    abstract: str | None = Field(None, description="Only when the call asked for abstracts.")
    score: float | None = Field(None, description="Search relevance or trending score, where the list has one.")
    featured_by: str | None = Field(None, description="Who put it on the daily list, where known.")


class PaperDetail(Compact):
    """One paper in full."""

    id: str = Field(description="The paper's key (its arXiv id when it has one).")
    title: str
    authors: list[str]
    abstract: str
    published: date | None = Field(None, description="Day of the first version.")
    updated: date | None = Field(None, description="Day of the latest version.")
    announced: date | None = Field(None, description="Day arXiv announced it.")
    version: int | None = None
    categories: list[str] = Field(description="arXiv categories, the primary one first.")
    doi: str | None = None
    upvotes: int
    url: str = Field(description="The paper's page on this paperfeed instance.")
    abs_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None


class PaperList(Compact):
    papers: list[PaperItem]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; absent on the last.")
    notes: list[str] | None = Field(None, description="What the search changed or could not do yet.")


class DailyPapers(Compact):
    period: str = Field(description="The day (2026-11-23), ISO week (2026-W47) or month (2026-11) shown.")
    label: str
    start: date
    end: date
    total: int = Field(description="Papers featured in the period.")
    papers: list[PaperItem]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; absent on the last.")


class TrendingPapers(Compact):
    window: str
    as_of: datetime = Field(description="The moment the ranking is for (the store's last activity for old data).")
    papers: list[PaperItem]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; absent on the last.")


class Recommended(PaperItem):
    """A paper of the reader's "For you" ranking, with why."""

    match: str | None = Field(None, description='"strong match" or "weak match" where the score says so.')
    percentile: float = Field(description="Share of random store papers it outscores, 0-1.")
    reasons: str = Field(description="Why: the library papers it is closest to and the words it shares with them.")
    closest: list[str] = Field(description="Keys of the reader's library papers it is closest to, closest first.")


class ForYouPapers(Compact):
    state: str = Field(description="start: nothing saved yet; learning: too little to learn from; ready: ranked.")
    needed: int = Field(description="Papers still to save, upvote or rate before the ranking starts.")
    start: date
    end: date
    collection: str | None = Field(None, description="The collection ranked for; absent for the whole library.")
    papers: list[Recommended]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page; absent on the last.")


def paper_url(site: str, key: str) -> str:
    """The paper's page on the site whose public address is `site` (Settings.base_url)."""
    return site.rstrip("/") + paper_path(key)


def paper_item(card: Card, site: str, *, abstract: bool = False) -> PaperItem:
    paper = card.paper
    return PaperItem(
        id=paper.key, title=paper.title, authors=paper.authors[:LISTED_AUTHORS], authors_total=len(paper.authors),
        published=paper.published_on, categories=paper.categories, upvotes=card.upvotes,
        url=paper_url(site, paper.key), pdf_url=paper.pdf_url, abstract=paper.abstract if abstract else None,
        score=round(card.score, 6) if card.score is not None else None, featured_by=card.submitted_by,
    )


def paper_items(cards: Sequence[Card], site: str, *, abstracts: bool = False) -> list[PaperItem]:
    return [paper_item(card, site, abstract=abstracts) for card in cards]


def paper_detail(card: Card, site: str) -> PaperDetail:
    paper = card.paper
    return PaperDetail(
        id=paper.key, title=paper.title, authors=paper.authors, abstract=paper.abstract,
        published=paper.published_on, updated=paper.updated_on, announced=paper.announced_on,
        version=paper.version, categories=paper.categories, doi=paper.doi, upvotes=card.upvotes,
        url=paper_url(site, paper.key), abs_url=paper.abs_url, pdf_url=paper.pdf_url, code_url=paper.code_url,
        project_url=paper.project_url,
    )


def next_offset(offset: int, limit: int, more: bool) -> int | None:
    return offset + limit if more else None
