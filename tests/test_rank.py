from datetime import UTC, datetime, timedelta

import pytest

from factories import make_record
from paperfeed.db.listings import upsert_listings
from paperfeed.db.trending import trending_papers
from paperfeed.db.votes import cast_vote, create_user
from paperfeed.models import Listing
from paperfeed.rank import VoteEvent, decay, trending

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(("age", "worth"), [
    (timedelta(0), 1.0), (timedelta(hours=24), 0.5), (timedelta(hours=72), 0.125), (-timedelta(hours=3), 1.0),
])
def test_a_vote_halves_in_worth_every_half_life(age, worth):
    assert decay(age) == pytest.approx(worth)


def test_fresh_votes_outrank_more_older_ones_and_the_window_cuts():
    events = [VoteEvent(1, NOW - timedelta(hours=1))] * 10 + [VoteEvent(2, NOW - 3 * DAY, weight=30)]
    events.append(VoteEvent(3, NOW - 8 * DAY, weight=1000))  # outside a 7-day window
    ranked = trending(events, NOW, window=7 * DAY)
    assert [t.paper_id for t in ranked] == [1, 2]
    assert ranked[0].votes == 10 and ranked[1].votes == 30
    assert ranked[1].score == pytest.approx(30 / 8)


def test_ties_go_to_the_most_recent_vote():
    ranked = trending([VoteEvent(5, NOW - DAY), VoteEvent(4, NOW - DAY), VoteEvent(9, NOW)], NOW, 7 * DAY)
    assert [t.paper_id for t in ranked] == [9, 4, 5]


def test_trending_from_the_store_counts_local_votes_and_imported_upvotes(engine):
    from paperfeed.db.papers import upsert_papers

    with engine.begin() as conn:
        records = [make_record(title=f"Paper {i}", arxiv_id=f"2411.0000{i}") for i in range(3)]
        ids = upsert_papers(conn, records).paper_ids
        users = [create_user(conn, f"u{i}@example.org") for i in range(3)]
        for user in users:
            cast_vote(conn, user, ids[0])
        # Relative to today: the votes are cast now, so the listings must be recent too.
        now = datetime.now(UTC)
        upsert_listings(conn, [Listing(ids[1], (now - DAY).date(), "hf-daily", upvotes=12),
                               Listing(ids[2], (now - 60 * DAY).date(), "hf-daily", upvotes=500)])
    with engine.connect() as conn:
        ranked = trending_papers(conn, now=now, window=7 * DAY)
    assert [t.paper_id for t in ranked] == [ids[1], ids[0]]  # 12 votes a day or so old beat 3 fresh ones
    assert [t.votes for t in ranked] == [12, 3]
