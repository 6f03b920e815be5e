"""The paper cards every list shows (paper, upvotes, whether the visitor voted), filled into the
JSON models of api_models.py (the one statement of the shape) for the API and every page's JSON.

The JSON follows the Hugging Face papers API where the two overlap (`id`, `title`, `summary`,
`authors: [{name}]`, `publishedAt`, `upvotes`, `githubRepo`, `projectPage`, `githubStars`,
`numComments`, `submittedBy`), with paperfeed's extra fields beside them, so huggingface_hub's
HfApi reads paperfeed as it reads huggingface.co.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from paperfeed.db.comments import comment_counts
from paperfeed.db.library import saved_among
from paperfeed.db.ratings import ratings_of
from paperfeed.db.users import User
from paperfeed.db.votes import upvote_counts, voted_by
from paperfeed.models import Paper
from paperfeed.web import api_models as api


@dataclass(frozen=True, slots=True)
class Card:
    paper: Paper
    upvotes: int = 0
    voted: bool = False
    submitted_by: str | None = None  # who put it on the daily feed, when it came from a listing
    submitted_at: datetime | None = None
    score: float | None = None  # trending score or search relevance, where the list has one
    saved: bool = False  # in the visitor's own library (private: only ever shown to them)
    rating: int = 0  # the visitor's private rating: +1 "more like this", -1 "less like this", 0 none
    comments: int = 0  # comments in its discussion (deleted ones not counted)


def paper_path(key: str) -> str:
    """The paper page's path; keys may hold ':' and '/' (doi:10.1000/x), which stay readable."""
    return "/papers/" + quote(key, safe=":/.@")


def author_path(name: str) -> str:
    return "/authors/" + quote(name, safe="")


def category_path(category: str) -> str:
    return "/categories/" + quote(category, safe=".")


def _day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=UTC) if day else None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


def _submitter(name: str | None) -> api.Submitter | None:
    return api.Submitter(name=name, user=name, fullname=name) if name else None


def _repository_fields(paper: Paper, comments: int) -> dict[str, Any]:
    # No star counts are stored: null says so.
    return {"githubRepo": paper.code_url, "projectPage": paper.project_url, "githubStars": None,
            "numComments": comments}


def _paper_fields(paper: Paper, upvotes: int, comments: int) -> dict[str, Any]:
    return {
        "id": paper.arxiv_id or paper.key,
        "key": paper.key,
        "title": paper.title,
        "summary": paper.abstract,
        "authors": [api.Author(name=name) for name in paper.authors],
        "publishedAt": _day_start(paper.published_on),
        "updatedAt": _day_start(paper.updated_on),
        "announcedAt": _day_start(paper.announced_on),
        "upvotes": upvotes,
        "categories": list(paper.categories),
        "version": paper.version,
        "doi": paper.doi,
        "links": api.PaperLinks(abs=paper.abs_url, pdf=paper.pdf_url, code=paper.code_url,
                                project=paper.project_url),
        "url": paper_path(paper.key),
        **_repository_fields(paper, comments),
    }


def paper_detail_model(card: Card) -> api.PaperDetail:
    """/api/papers/{id}: the paper, the visitor's vote, and its first day on the daily feed if it was featured."""
    return api.PaperDetail(**_paper_fields(card.paper, card.upvotes, card.comments), voted=card.voted,
                           submittedOnDailyAt=_utc(card.submitted_at), submittedOnDailyBy=_submitter(card.submitted_by))


def card_model(card: Card) -> api.PaperItem:
    """One list item (api_models.PaperItem)."""
    return api.PaperItem(
        paper=api.Paper(**_paper_fields(card.paper, card.upvotes, card.comments)),
        title=card.paper.title,
        summary=card.paper.abstract,
        publishedAt=_utc(card.submitted_at) or _day_start(card.paper.day),
        submittedOnDailyAt=_utc(card.submitted_at),
        submittedBy=_submitter(card.submitted_by),
        upvotes=card.upvotes,
        voted=card.voted,
        score=round(card.score, 6) if card.score is not None else None,
        **_repository_fields(card.paper, card.comments),
    )


def card_json(card: Card) -> dict[str, Any]:
    """One list item as the JSON of a page holds it."""
    return card_model(card).model_dump(mode="json")


def load_cards(conn: sa.Connection, papers: Sequence[Paper], user: User | None, *,
               listed: dict[int, Any] | None = None, scores: dict[int, float] | None = None) -> list[Card]:
    """Cards for `papers` in their order, with upvote and comment counts and the visitor's votes, saves and
    ratings read in five queries (three for a signed-out visitor).

    `listed` maps paper id -> its listing row (submitted_by, submitted_at) where the list has one.
    """
    ids = [p.id for p in papers]
    counts = upvote_counts(conn, ids)
    discussed = comment_counts(conn, ids)
    user_id = user.id if user else None
    mine = voted_by(conn, user_id, ids)
    saved = saved_among(conn, user_id, ids)
    rated = ratings_of(conn, user_id, ids)
    listed = listed or {}
    scores = scores or {}
    return [
        Card(paper, counts.get(paper.id, 0), paper.id in mine,
             getattr(listed.get(paper.id), "submitted_by", None), getattr(listed.get(paper.id), "submitted_at", None),
             scores.get(paper.id), saved=paper.id in saved, rating=rated.get(paper.id, 0),
             comments=discussed.get(paper.id, 0))
        for paper in papers
    ]
