"""The shapes of paperfeed's JSON, written once as pydantic models: what /openapi.json documents for
the /api/ endpoints, what cards.py fills for them and for every page's JSON, and the error every
4xx and 5xx answers with. Declarations only; no I/O.

Field names are the JSON's (camelCase where Hugging Face's papers API has them). Every model forbids
extra fields, so the schema says `additionalProperties: false` and a field added to a response
without a place here fails to build, rather than going undocumented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from paperfeed.library import MAX_COLLECTION_NAME, MAX_NOTE


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- papers --------------------------------------------------------------------------------------------

class Author(ApiModel):
    name: str


class PaperLinks(ApiModel):
    abs: str | None = Field(description="The paper's abstract page (arXiv, or the source's).")
    pdf: str | None
    code: str | None = Field(description="Source code, as the source gave it (also githubRepo).")
    project: str | None = Field(description="Project page, as the source gave it (also projectPage).")


class Submitter(ApiModel):
    """Who put a paper on the daily feed. paperfeed keeps one name for them, given in each field a
    Hugging Face client reads: `name` (daily lists), `user` (huggingface_hub's username) and `fullname`."""

    name: str
    user: str
    fullname: str


class RepositoryFields(ApiModel):
    githubRepo: str | None = Field(description="The code link paperfeed stores for the paper.")
    projectPage: str | None = Field(description="The project page paperfeed stores for the paper.")
    githubStars: int | None = Field(description="Always null: paperfeed stores no star counts.")
    numComments: int = Field(description="Always 0: paperfeed has no discussions yet.")


class Paper(RepositoryFields):
    """A paper as Hugging Face's `paper` object (the top level of /api/papers/{id}, `paper` in list
    items), with paperfeed's own fields beside Hugging Face's."""

    id: str = Field(description="arXiv id without version, else paperfeed's key.")
    key: str = Field(description="paperfeed's key: the arXiv id, doi:<DOI> or h:<hash>.")
    title: str
    summary: str = Field(description="The abstract.")
    authors: list[Author]
    publishedAt: datetime | None = Field(description="Publication day (00:00 UTC).")
    updatedAt: datetime | None
    announcedAt: datetime | None = Field(description="The day arXiv announced it (00:00 UTC).")
    upvotes: int = Field(description="The source's count plus votes here.")
    categories: list[str] = Field(description="arXiv categories, the primary one first.")
    version: int | None
    doi: str | None
    links: PaperLinks
    url: str = Field(description="The paper's page on this site (a path).")


class PaperDetail(Paper):
    """GET /api/papers/{id}: the paper, the visitor's vote, and its first day on the daily feed."""

    voted: bool = Field(description="Whether the visitor (signed in, or by API token) upvoted it.")
    submittedOnDailyAt: datetime | None = Field(description="When it was first put on the daily feed.")
    submittedOnDailyBy: Submitter | None


class PaperItem(RepositoryFields):
    """One item of a list (daily papers, trending, search), shaped like an item of Hugging Face's
    /api/daily_papers. The repository fields are in `paper`, where Hugging Face's API has them, and
    repeated here, where huggingface_hub's PaperInfo reads a list item."""

    paper: Paper
    title: str
    summary: str
    publishedAt: datetime | None = Field(
        description="When it was put on the daily feed; for a paper never featured, its announcement or "
        "publication day.")
    submittedOnDailyAt: datetime | None
    submittedBy: Submitter | None
    upvotes: int
    voted: bool
    score: float | None = Field(None, exclude_if=lambda value: value is None, description=(
        "Trending score or search relevance, in the lists that rank by one; absent elsewhere."))


# --- votes, subscriptions, API tokens ------------------------------------------------------------------

class Vote(ApiModel):
    paper: str = Field(description="The paper's key.")
    upvotes: int
    voted: bool


class SubscriptionIn(BaseModel):
    """POST /api/subscriptions' body (fields it does not know are ignored, as before)."""

    email: str
    frequency: str = Field("daily", description="daily or weekly")
    timezone: str | None = Field(None, description="IANA name, e.g. Europe/Paris; default the site's")
    categories: list[str] = Field(default_factory=list, description="arXiv categories (cs.CL) or archives (cs)")
    queries: list[str] = Field(default_factory=list, description="saved search queries")
    authors: list[str] = Field(default_factory=list, description="followed authors, full names")


class SubscriptionAccepted(ApiModel):
    email: str = Field(description="The address as stored.")
    message: str


class ApiToken(ApiModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class NewApiToken(ApiToken):
    token: str = Field(description="The token (pf_...): shown in this answer only, never again.")


class ApiTokens(ApiModel):
    tokens: list[ApiToken]
    created: NewApiToken | None = Field(None, exclude_if=lambda value: value is None,
                                        description="In the answer that created a token only.")


class TokenRevoked(ApiModel):
    revoked: int = Field(description="The id of the revoked token.")


# --- discussion ------------------------------------------------------------------------------------------

class CommentOut(ApiModel):
    """One comment of a paper's discussion (web/comments_view.comment_json makes it)."""

    id: int
    parentId: int | None = Field(description="The top-level comment a reply belongs to; null for one.")
    author: str | None = Field(description="The name others see; null once the comment is deleted.")
    body: str | None = Field(description="The Markdown as written; null once deleted.")
    html: str | None = Field(description="The body rendered and sanitized, as the page shows it.")
    createdAt: datetime
    editedAt: datetime | None
    deleted: bool = Field(description="Deleted while it had replies: kept, so the replies keep their place.")
    mine: bool = Field(description="The caller wrote it (and may edit or delete it).")
    replies: list[CommentOut] = Field(description="Replies, oldest first (one level deep).")


class CommentThread(ApiModel):
    paper: str = Field(description="The paper's key.")
    comments: list[CommentOut] = Field(description="Top-level comments, oldest first, each with its replies.")


class CommentPosted(ApiModel):
    comment: CommentOut


class CommentDeleted(ApiModel):
    deleted: int = Field(description="The id of the deleted comment.")


# --- errors ----------------------------------------------------------------------------------------------

class Problem(ApiModel):
    parameter: str = Field(description="The parameter, field or 'body' at fault.")
    problem: str


class Error(ApiModel):
    status: int = Field(description="The HTTP status, again.")
    message: str = Field(description="What went wrong, on one line (also in the X-Error-Message header).")
    details: list[Problem] | dict[str, str] | None = Field(
        None, exclude_if=lambda value: not value,
        description="A 422's problem with each parameter, or a form's problem with each field.")


class ErrorResponse(ApiModel):
    error: Error


def error_body(status: int, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON of an error response."""
    return ErrorResponse(error=Error(status=status, message=message, details=details or None)).model_dump(mode="json")


_ERROR_HEADERS = {"X-Error-Message": {"description": "The error's message as one line of ASCII.",
                                      "schema": {"type": "string"}}}
_ERROR_TEXT = "An error: the status again, a message, and for a 422 the problem with each parameter."

# The error shape for the JSON API's operations (routers under /api/), in place of FastAPI's
# default 422 schema (`detail`), which paperfeed never answers with.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": _ERROR_TEXT, "headers": _ERROR_HEADERS}
    for status in ("4XX", "5XX")
}
# Every other operation is a page: its error is an HTML page, or the same JSON when JSON was asked for.
PAGE_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "content": {"text/html": {"schema": {"type": "string"}}},
             "description": "An HTML error page; asked for JSON (.json, Accept), the JSON error."}
    for status in ("4XX", "5XX")
}


# --- the library and ratings (private: each reader sees their own alone) ------------------------------------

RatingName = Literal["more", "less"]
Reason = Literal["saved", "upvoted", "more", "less"]
_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refused as bad input on both databases alike
PaperRef = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=_NO_NUL)]
CollectionId = Annotated[int, Field(ge=1, le=2**31 - 1)]  # a 32-bit column: larger is a 422, not a database error
NoteText = Annotated[str, StringConstraints(max_length=MAX_NOTE, pattern=_NO_NUL)]
CollectionName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_COLLECTION_NAME, pattern=_NO_NUL)]


class CollectionRef(ApiModel):
    id: int
    name: str


class Collection(CollectionRef):
    papers: int = Field(description="How many saved papers are in it.")
    createdAt: datetime


class LibraryState(ApiModel):
    """One paper as the reader's library holds it: what saving, rating and editing a saved paper answer."""

    paper: str = Field(description="The paper's key.")
    saved: bool
    savedAt: datetime | None
    note: str | None = Field(description="The reader's private note.")
    collections: list[CollectionRef] = Field(description="The reader's collections it is in.")
    rating: RatingName | None = Field(description='The private rating: "more" or "less" like this.')


class LibraryItem(ApiModel):
    """A saved paper, in GET /api/library."""

    paper: Paper
    savedAt: datetime
    note: str | None
    collections: list[CollectionRef]
    rating: RatingName | None


class SaveIn(ApiModel):
    paper: PaperRef = Field(description="arXiv id (with or without version), DOI, or paperfeed key.")
    collections: list[CollectionId] = Field(default_factory=list, max_length=100,
                                            description="Ids of your collections to put it in (it stays in others).")
    note: NoteText | None = Field(None, description="A private note; replaces the one stored.")


class NoteIn(ApiModel):
    note: NoteText | None = Field(description="The new note; empty or null clears it.")


class CollectionsIn(ApiModel):
    collections: list[CollectionId] = Field(max_length=100, description="Exactly the collections it is to be in.")


class CollectionIn(ApiModel):
    name: CollectionName


class RatingIn(ApiModel):
    rating: RatingName


class CollectionDeleted(ApiModel):
    deleted: int = Field(description="The id of the deleted collection (its papers stay saved).")


class RatingsCleared(ApiModel):
    cleared: int = Field(description="How many ratings were forgotten.")


class Evidence(ApiModel):
    kind: Reason
    at: datetime


class LearnedPaper(ApiModel):
    paper: str = Field(description="The paper's key.")
    title: str
    url: str
    reasons: list[Evidence] = Field(description="Why it counts, newest first.")


class LearnedFrom(ApiModel):
    """What the reader's model learns from: positives (saved, upvoted, "more like this") and negatives
    ("less like this"), newest first."""

    positives: list[LearnedPaper]
    negatives: list[LearnedPaper]


class ImportProblem(ApiModel):
    line: int | None = Field(description="The line of the file where the entry starts, where known.")
    message: str


class ImportReport(ApiModel):
    collection: CollectionRef | None = Field(description="The collection the papers went into, if any.")
    saved: int = Field(description="Papers newly saved.")
    alreadySaved: int
    fetched: int = Field(description="Papers not in the store before, fetched from arXiv.")
    notFound: list[str] = Field(description="Ids and titles found neither in the store nor on arXiv.")
    problems: list[ImportProblem] = Field(description="Entries that could not be read; the rest were kept.")
    unfetched: str | None = Field(description="Why some papers were not fetched from arXiv (unreachable, too many).")


# --- "For you" (private: each reader sees their own ranking alone) --------------------------------------

ForYouState = Literal["start", "learning", "ready"]
MatchName = Literal["strong match", "weak match"]


class LibraryPaperRef(ApiModel):
    """A library paper a recommendation is close to."""

    id: str = Field(description="arXiv id without version, else paperfeed's key.")
    title: str
    url: str = Field(description="The paper's page on this site (a path).")


class ForYouItem(PaperItem):
    """A ranked paper: a list item as the other /api/ lists give it, with why it is recommended."""

    score: float = Field(description="The reader model's score (higher ranks first).")
    percentile: float = Field(description="Share of random store papers it outscores, 0-1.")
    match: MatchName | None = Field(description='"strong match" or "weak match" where the score says so.')
    day: str = Field(description="The paper's day (announced, else published), YYYY-MM-DD.")
    closest: list[LibraryPaperRef] = Field(description="The library papers it is closest to, closest first.")
    sharedWords: list[str] = Field(description="Words it shares with those papers.")


class ForYou(ApiModel):
    """GET /api/for-you: the reader's ranking of a period's papers, best first, with reasons."""

    state: ForYouState = Field(description="start: nothing to learn from yet; learning: too little yet; "
                                           "ready: ranked.")
    positives: int = Field(description="Papers the model learns from (saved, upvoted, rated more).")
    needed: int = Field(description="Positives still needed before papers are ranked (0 when ready).")
    start: str = Field(description="The period's first day, YYYY-MM-DD.")
    end: str = Field(description="The period's last day, YYYY-MM-DD.")
    collection: CollectionRef | None = Field(description="The collection ranked for; null for the whole library.")
    items: list[ForYouItem]


class PrivateFeed(ApiModel):
    id: int
    collection: CollectionRef | None = Field(description="The collection it follows; null for the whole library.")
    createdAt: datetime


class NewPrivateFeed(PrivateFeed):
    rss: str = Field(description="The RSS feed's address: shown in this answer only, never again.")
    atom: str = Field(description="The Atom feed's address: shown in this answer only, never again.")


class PrivateFeeds(ApiModel):
    feeds: list[PrivateFeed]
    created: NewPrivateFeed | None = Field(None, exclude_if=lambda value: value is None,
                                           description="In the answer that created a feed only.")


class FeedRevoked(ApiModel):
    revoked: int = Field(description="The id of the revoked feed.")
