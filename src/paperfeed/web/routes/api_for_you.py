"""The reader's "For you" ranking for scripts: GET /api/for-you, the papers of a day, week or month
ranked by the reader's model (of the whole library, or of one collection), best first, each with the
library papers it is closest to and the words it shares with them.

The same auth as the library's API (routes/api_library.py): an API token or a signed-in session;
signed out, 401. A read counts against the reader's library allowance (web/ratelimit.py), since it
may fit their model and rank the period's days. Another reader's collection id is a 404, as for one
that never existed. Only the best `for_you_keep` papers are kept, so pages stop there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from paperfeed.db.for_you import latest_paper_day
from paperfeed.db.users import User
from paperfeed.errors import InvalidInput
from paperfeed.recommendations import Recommendation, Recommendations, recommendations
from paperfeed.web import api_models as api
from paperfeed.web import library
from paperfeed.web.cards import card_model, load_cards, paper_path
from paperfeed.web.deps import EngineDep, RecommenderDep, SettingsDep, UserDep
from paperfeed.web.links import paged_json
from paperfeed.web.params import ApiPage, Day, Limit, Month, Week
from paperfeed.web.periods import parse_period
from paperfeed.web.render import JsonResponse

router = APIRouter(prefix="/api", tags=["for you"], responses=api.API_ERRORS)
CollectionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Rank for this collection alone.")]
HideRead = Annotated[bool, Query(description="Leave out papers you opened, saved or rated.")]
_HEADERS = {"Link": {"description": 'The next page, as <url>; rel="next", while more follow.',
                     "schema": {"type": "string"}}}


def _closest(paper) -> api.LibraryPaperRef:
    return api.LibraryPaperRef(id=paper.arxiv_id or paper.key, title=paper.title, url=paper_path(paper.key))


def for_you_items(conn, user: User, found: list[Recommendation]) -> list[api.ForYouItem]:
    """The JSON of ranked papers: each card as the other lists give it, with its reasons."""
    cards = load_cards(conn, [item.paper for item in found], user,
                       scores={item.paper.id: item.ranked.score for item in found})
    return [
        api.ForYouItem(
            **card_model(card).model_dump(exclude={"score"}), score=round(item.ranked.score, 6),
            percentile=round(item.ranked.percentile, 4),
            match=item.ranked.match.value if item.ranked.match else None, day=item.ranked.day.isoformat(),
            closest=[_closest(paper) for paper in item.closest], sharedWords=list(item.ranked.shared_words))
        for card, item in zip(cards, found, strict=True)
    ]


def for_you_model(conn, user: User, found: Recommendations) -> api.ForYou:
    collection = found.collection
    return api.ForYou(
        state=found.state, positives=found.positives, needed=found.needed, start=found.start.isoformat(),
        end=found.end.isoformat(),
        collection=api.CollectionRef(id=collection.id, name=collection.name) if collection else None,
        items=for_you_items(conn, user, found.items))


@router.get("/for-you", response_model=api.ForYou, responses={200: {"headers": _HEADERS}},
            summary="Your ranking of a day's, week's or month's papers, best first, with reasons")
def for_you(request: Request, engine: EngineDep, settings: SettingsDep, recommender: RecommenderDep,
            user: UserDep, day: Day = None, week: Week = None, month: Month = None,
            collection: CollectionQuery = None, hide_read: HideRead = False, p: ApiPage = 0, limit: Limit = 20):
    """Without date, week or month: the latest day with papers."""
    reader = library.signed_in(user, "Sign in (or send an API token) to see your For you ranking.")
    offset = p * limit
    if offset >= settings.for_you_keep:
        raise InvalidInput(f"p={p} with limit={limit} starts past the end: only the best "
                           f"{settings.for_you_keep} papers are kept")
    library.count(request, "library", reader)
    with engine.begin() as conn:  # the recommender keeps what it ranks
        latest = latest_paper_day(conn) or datetime.now(UTC).date()
        period = parse_period(day.isoformat() if day else None, week, month, latest)
        found = recommendations(conn, recommender, reader.id, period.start, period.end, collection_id=collection,
                                hide_read=hide_read, offset=offset, limit=limit)
        body = for_you_model(conn, reader, found).model_dump(mode="json")
    # The next page's Link as every API list gives it (links.paged_json), on an object rather than a list.
    paged = paged_json(request, [], more=found.has_more and offset + limit < settings.for_you_keep, p=p)
    link = {"Link": paged.headers["link"]} if "link" in paged.headers else {}
    return JsonResponse(body, headers={**link, **library.PRIVATE})
