"""The digest's "For you" section: the pure composition of the section and its reasons, the mail that
names and links them (escaped), and the batch over a real store with real embeddings (for_you_world)
and a real SMTP server on loopback: a reader's topic first, with its explanations, sent once; a
collection's digest ranks by the collection; a deleted collection is skipped and forgotten; a
subscriber who is no reader, or whose model is not READY, gets the digest they got before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from digest_factories import add_subscriber, make_settings
from loopback_smtp import Mailbox

from factories import make_paper
from for_you_world import NEW_DAYS, build_world
from paperfeed.db import subscriptions as subscriber_store
from paperfeed.db.collections import create_collection, delete_collection
from paperfeed.db.library import add_to_collection, save_paper
from paperfeed.db.schema import digest_papers, digests
from paperfeed.db.users import create_user
from paperfeed.digest.compose import FOR_YOU, build_candidates, compose_digest
from paperfeed.digest.mailer import Mailer
from paperfeed.digest.message import DigestLinks, digest_message
from paperfeed.digest.sender import send_digests
from paperfeed.digest.tokens import LinkSigner
from paperfeed.models import Interest, Recommendation
from paperfeed.search.maintenance import update_index

DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LINKS = DigestLinks("https://papers.example.org/manage?t=1", "https://papers.example.org/unsubscribe?t=1")


def ids(picks) -> list[int]:
    return [pick.paper.id for pick in picks]


# --- composing (pure) ------------------------------------------------------------------------------

def test_for_you_comes_first_in_the_models_order_with_its_reasons():
    papers = {n: make_paper(n, categories=("cs.CL",), announced_on=DAY) for n in range(1, 8)}
    hot = make_paper(8, categories=("hep-th",), announced_on=DAY)
    library = (make_paper(100, title="A library paper"),)
    candidates = build_candidates([*papers.values(), hot], trending=[(hot, 9)], query_hits={})
    ranking = [(5, Recommendation("strong match", library, ("diffusion",))),
               (2, Recommendation("weak match", library, ("noise",)))]
    picks = compose_digest([Interest("category", "cs.CL")], candidates, sent=set(), for_you=ranking,
                           max_papers=6, trending_papers=1)
    assert ids(picks)[:2] == [5, 2] and [p.section for p in picks][:2] == [FOR_YOU, FOR_YOU]
    assert picks[0].reason == "strong match; new in cs.CL"  # the label first, then what else it matches
    assert picks[0].why == ranking[0][1] and picks[1].why.match == "weak match"
    assert [p.section for p in picks[2:]] == ["interests", "interests", "interests", "trending"]
    assert not {5, 2} & set(ids(picks[2:]))  # picked once, in "For you"


def test_for_you_skips_what_was_sent_keeps_room_for_trending_and_is_capped():
    papers = [make_paper(n, announced_on=DAY) for n in range(1, 13)]
    candidates = build_candidates(papers, trending=[(papers[11], 4)], query_hits={})
    ranking = [(n, Recommendation("strong match")) for n in [3, 1, 2, 4, 5, 6, 7, 8, 9, 99]]  # 99: not a candidate
    picks = compose_digest([], candidates, sent={1}, for_you=ranking, max_papers=5, trending_papers=1)
    assert ids(picks) == [3, 2, 4, 5, 12] and picks[-1].section == "trending"
    capped = compose_digest([], candidates, sent=set(), for_you=ranking, for_you_papers=2)
    assert ids(capped) == [3, 1, 12]
    assert compose_digest([], candidates, sent=set(range(1, 13)), for_you=ranking) == []


def test_without_a_ranking_the_digest_is_what_it_was():
    papers = [make_paper(n, categories=("cs.CL",), announced_on=DAY) for n in range(1, 5)]
    candidates = build_candidates(papers, trending=[(papers[0], 3)], query_hits={})
    interests = [Interest("category", "cs.CL"), Interest("collection", "7")]  # a collection picks nothing itself
    assert compose_digest(interests, candidates, set(), for_you=()) == compose_digest(interests[:1], candidates, set())


def test_the_mail_names_and_links_the_closest_papers_escaped(tmp_path):
    settings = make_settings(tmp_path, "sqlite://")
    hostile = make_paper(100, arxiv_id="2601.00100", title="<script>alert(1)</script> & friends")
    plain = make_paper(101, arxiv_id="2601.00101", title="Denoising diffusion, revisited")
    new = make_paper(1, title="Fast <b>samplers</b>", announced_on=DAY)
    other = make_paper(2, title="An interest paper", categories=("cs.CL",), announced_on=DAY)
    candidates = build_candidates([new, other], trending=[], query_hits={})
    why = Recommendation("strong match", (hostile, plain), ("score <matching>", "noise"))
    picks = compose_digest([Interest("category", "cs.CL")], candidates, set(), for_you=[(1, why)])
    message = digest_message(settings, to="ada@example.org", frequency="daily", period="daily:2026-11-23",
                             message_id="<m@example.org>", picks=picks, links=LINKS, now=NOW)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in html
    assert "Fast &lt;b&gt;samplers&lt;/b&gt;" in html and "score &lt;matching&gt;, noise" in html
    plain_url = f"https://papers.example.org/papers/{plain.key}"
    assert plain.key.endswith("2601.00101") and f'<a href="{plain_url}"' in html
    assert html.index("For you") < html.index("Your interests") < html.index("An interest paper")
    assert "Why: strong match" in text and "Shared words: score <matching>, noise" in text
    assert f"- Denoising diffusion, revisited <{plain_url}>" in text
    assert text.index("FOR YOU") < text.index("Close to:") < text.index("YOUR INTERESTS")


# --- the batch, with real embeddings and a real SMTP server ------------------------------------------

WEEKLY_AT = datetime(NEW_DAYS[-1].year, NEW_DAYS[-1].month, NEW_DAYS[-1].day, 8, 0, tzinfo=UTC)  # Friday, W45


@pytest.fixture
def mailbox(tmp_path):
    with Mailbox(tmp_path / "received.jsonl") as server:
        yield server


@pytest.fixture
def world(engine, tmp_path, models_dir, database_url, mailbox):
    settings = make_settings(tmp_path, database_url, mailbox, models_dir=models_dir)
    topics = build_world(engine)
    update_index(settings, engine)
    return settings, topics


def run(engine, settings, now):
    return send_digests(engine, settings, now, mailer_factory=lambda: Mailer(settings),
                        signer=LinkSigner.from_settings(settings))


def reader(engine, email, saved, collection=None) -> tuple[int, int | None]:
    with engine.begin() as conn:
        user = create_user(conn, email)
        for paper_id in saved:
            save_paper(conn, user, paper_id)
        if collection is None:
            return user, None
        name, members = collection
        collection_id = create_collection(conn, user, name).id
        for paper_id in members:
            add_to_collection(conn, user, paper_id, collection_id)
        return user, collection_id


def rows_of(engine, email) -> list:
    with engine.connect() as conn:
        subscriber = subscriber_store.find_subscriber(conn, email)
        return conn.execute(sa.select(digest_papers, digests.c.period)
                            .join(digests, digests.c.id == digest_papers.c.digest_id)
                            .where(digest_papers.c.subscriber_id == subscriber.id)
                            .order_by(digests.c.id, digest_papers.c.position)).all()


def topic_of(topics, paper_id) -> str:
    return next(topic for topic, parts in topics.items() if paper_id in parts["new"] + parts["library"])


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_readers_digest_opens_with_their_topic_explained_and_sent_once(engine, world, mailbox):
    settings, topics = world
    library = topics["diffusion"]["library"][:4]
    reader(engine, "ada@example.org", library)
    add_subscriber(engine, "ada@example.org", frequency="weekly", categories=["econ.GN"])
    add_subscriber(engine, "carol@example.org", frequency="weekly", categories=["astro-ph.GA"])  # no reader
    reader(engine, "dan@example.org", topics["protein"]["library"][:2])  # too little to learn from yet
    add_subscriber(engine, "dan@example.org", frequency="weekly", categories=["astro-ph.GA"])

    report = run(engine, settings, WEEKLY_AT)
    assert report.sent == 3 and mailbox.counts() == {"ada@example.org": 1, "carol@example.org": 1,
                                                      "dan@example.org": 1}
    ada = rows_of(engine, "ada@example.org")
    for_you = [row for row in ada if row.section == FOR_YOU]
    assert for_you and ada[:len(for_you)] == for_you  # the section comes first
    assert {topic_of(topics, row.paper_id) for row in for_you} == {"diffusion"}
    assert {topic_of(topics, row.paper_id) for row in ada[len(for_you):]} == {"economics"}  # then the interest
    stored = json.loads(for_you[0].reason)
    assert stored["match"] in ("strong match", "weak match") and stored["reason"].startswith(stored["match"])
    assert 1 <= len(stored["closest"]) <= 3 and set(stored["closest"]) <= set(library) and stored["shared_words"]

    message = mailbox.to("ada@example.org")[0]
    text, html = text_of(message), message.get_body(("html",)).get_content()
    assert text.index("FOR YOU") < text.index("YOUR INTERESTS")
    first_title = text.split("FOR YOU", 1)[1].split("1. ", 1)[1].splitlines()[0]
    assert first_title.startswith(tuple(title for title in _topic_titles("diffusion")))
    assert f"Why: {stored['reason']}" in text and f"Shared words: {', '.join(stored['shared_words'])}" in text
    with engine.connect() as conn:
        from paperfeed.db.papers import papers_by_ids

        closest = papers_by_ids(conn, stored["closest"])
    for paper in closest.values():
        url = f"https://papers.example.org/papers/{paper.key}"
        assert f"{paper.title} <{url}>" in text and f'<a href="{url}"' in html

    for email in ("carol@example.org", "dan@example.org"):  # the digest they had before: interests only
        rows = rows_of(engine, email)
        assert {row.section for row in rows} == {"interests"}
        assert {topic_of(topics, row.paper_id) for row in rows} == {"galaxies"}
        assert "Close to:" not in text_of(mailbox.to(email)[0]) and "FOR YOU" in text_of(mailbox.to(email)[0])

    assert run(engine, settings, WEEKLY_AT + timedelta(hours=2)).sent == 0  # the period is done
    # The next week looks back over these days again: nothing sent before is sent again.
    run(engine, settings, WEEKLY_AT + timedelta(days=3))
    periods = {}
    for row in rows_of(engine, "ada@example.org"):
        periods.setdefault(row.period, []).append(row.paper_id)
    assert len(mailbox.to("ada@example.org")) == len(periods)
    later = [paper_id for period, paper_ids in periods.items() if period != "weekly:2026-W45" for paper_id in paper_ids]
    assert not set(later) & set(periods["weekly:2026-W45"])
    assert len(later) == len(set(later))


def _topic_titles(topic: str) -> list[str]:
    from for_you_world import TOPICS

    return TOPICS[topic][1]


def test_a_collection_digest_ranks_by_the_collection_and_survives_its_deletion(engine, world, mailbox):
    settings, topics = world
    proteins = topics["protein"]["library"][:3]
    user, collection_id = reader(engine, "bob@example.org", proteins + topics["economics"]["library"][:3],
                                 collection=("Proteins", proteins))
    subscriber_id = add_subscriber(engine, "bob@example.org")
    with engine.begin() as conn:
        subscriber_store.set_interests(conn, subscriber_id, [Interest("collection", str(collection_id))])

    run(engine, settings, WEEKLY_AT.replace(day=WEEKLY_AT.day - 2))  # daily, Wednesday: the days of 2 Nov to 4 Nov
    first = rows_of(engine, "bob@example.org")
    assert first and {row.section for row in first} == {FOR_YOU}
    assert {topic_of(topics, row.paper_id) for row in first} == {"protein"}  # not economics: the collection's model
    for row in first:
        assert set(json.loads(row.reason)["closest"]) <= set(proteins)

    with engine.begin() as conn:
        delete_collection(conn, user, collection_id)
    report = run(engine, settings, WEEKLY_AT)  # Friday: ranks by the whole library now
    assert report.stopped is None and report.sent == 1
    with engine.connect() as conn:
        assert subscriber_store.get_subscriber(conn, subscriber_id).interests == ()  # the gone collection forgotten
    later = [row for row in rows_of(engine, "bob@example.org") if row.period == "daily:2026-11-06"]
    assert later and {row.section for row in later} == {FOR_YOU}
    assert "economics" in {topic_of(topics, row.paper_id) for row in later}
    assert not {row.paper_id for row in later} & {row.paper_id for row in first}


# --- choosing the collection on the preferences page ---------------------------------------------------

def test_only_the_signed_in_reader_chooses_one_of_their_own_collections(engine, tmp_path):
    from paperfeed.db.users import find_login
    from web_client import build_app, visit

    app = build_app(engine, tmp_path, base_url="https://papers.example.org")
    subscriber_id = add_subscriber(engine, "ada@example.org", categories=["cs.CL"])
    token = LinkSigner.from_settings(app.state.settings).token("manage", subscriber_id, "ada@example.org",
                                                               datetime.now(UTC))
    form = {"token": token, "frequency": "daily", "timezone": "UTC", "category": "cs.CL"}

    def interests():
        with engine.connect() as conn:
            return set(subscriber_store.get_subscriber(conn, subscriber_id).interests)

    with visit(app, base_url="https://testserver") as ada, visit(app, base_url="https://testserver") as stranger:
        ada.sign_up("ada@example.org")
        stranger.sign_up("eve@example.org")
        with engine.begin() as conn:
            mine = create_collection(conn, find_login(conn, "ada@example.org").user.id, "Proteins <b>").id
            theirs = create_collection(conn, find_login(conn, "eve@example.org").user.id, "Eve's").id

        page = ada.client.get("/subscriptions/manage", params={"token": token})
        assert 'name="for_you_collection"' in page.text and "The collection Proteins &lt;b&gt;" in page.text
        assert 'name="for_you_collection"' not in stranger.client.get("/subscriptions/manage",
                                                                       params={"token": token}).text
        assert stranger.post_form("/subscriptions/manage", {**form, "for_you_collection": str(mine)}).status_code == 400
        assert ada.post_form("/subscriptions/manage", {**form, "for_you_collection": str(theirs)}).status_code == 404
        assert ada.post_form("/subscriptions/manage", {**form, "for_you_collection": "x1"}).status_code == 400
        assert interests() == {Interest("category", "cs.CL")}

        saved = ada.post_form("/subscriptions/manage", {**form, "for_you_collection": str(mine)})
        assert saved.status_code == 200 and f'value="{mine}" selected' in saved.text
        assert interests() == {Interest("category", "cs.CL"), Interest("collection", str(mine))}
        # Someone else with the link changes the rest and keeps the reader's choice.
        assert stranger.post_form("/subscriptions/manage", {**form, "category": "cs.LG"}).status_code == 200
        assert interests() == {Interest("category", "cs.LG"), Interest("collection", str(mine))}
        ada.post_form("/subscriptions/manage", {**form, "for_you_collection": ""})  # back to the whole library
        assert interests() == {Interest("category", "cs.CL")}
