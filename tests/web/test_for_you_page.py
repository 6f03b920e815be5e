"""The "For you" page, the front page's For-you column and "These are my papers", over the real app, a
SQLite store of four topics (tests/for_you_world.py) and the real embeddings: a reader's saves rank
their topic first, each card saying why with links; an empty or small library is asked to start in
three ways; read papers can be hidden; a collection has its own ranking; one reader never sees
another's; namesakes are grouped and a group is saved at once; titles in the reasons are escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from factories import make_record
from for_you_world import LIBRARY_DAY, NEW_DAYS, TOPICS, build_world
from namesake_world import NAMESAKE, namesake_records
from paperfeed.config import Settings
from paperfeed.db.collections import create_collection
from paperfeed.db.library import add_to_collection, save_paper, saved_among
from paperfeed.db.papers import papers_by_ids, upsert_papers
from paperfeed.db.schema import paper_reads
from paperfeed.db.users import create_user
from paperfeed.db.votes import cast_vote
from paperfeed.normalize import normalize_record
from paperfeed.search.maintenance import update_index
from paperfeed.web.ratelimit import DEFAULT_RULES
from web_client import build_app, sqlite_engine, visit

WEEK = NEW_DAYS[0].strftime("%G-W%V")
CATEGORIES = [category for category, _, _ in TOPICS.values()]
HOSTILE_TITLE = 'Denoising diffusion <script>alert("x")</script> & <b>guidance</b>'


@dataclass
class Site:
    app: object
    engine: sa.Engine
    ids: dict  # topic -> {"library": [...], "new": [...]} paper ids
    key_of: dict  # paper id -> key
    topic_of: dict  # paper key -> topic
    hostile: int  # the library paper whose title holds HTML
    namesakes: dict  # "vision" / "economics" -> paper ids by "Ada Namesake" with two sets of co-authors


@pytest.fixture(scope="module")
def site(tmp_path_factory, models_dir):
    tmp = tmp_path_factory.mktemp("for-you-page")
    with sqlite_engine(tmp) as engine:
        ids = build_world(engine)
        vision, economics = namesake_records()
        hostile = make_record(arxiv_id="2610.09999", title=HOSTILE_TITLE, abstract=" ".join(TOPICS["diffusion"][2]),
                              categories=("cs.CV",), announced_on=LIBRARY_DAY, published_on=LIBRARY_DAY)
        with engine.begin() as conn:
            stored = upsert_papers(conn, [normalize_record(r) for r in [*vision, *economics, hostile]]).paper_ids
        update_index(Settings(_env_file=None, data_dir=tmp, models_dir=models_dir,
                              database_url=str(engine.url)), engine)
        everything = [i for parts in ids.values() for i in parts["library"] + parts["new"]] + stored
        with engine.connect() as conn:
            found = papers_by_ids(conn, everything)
        key_of = {i: found[i].key for i in everything}
        topic_of = {key_of[i]: topic for topic, parts in ids.items() for i in parts["library"] + parts["new"]}
        # A sign-up per test from one address would pass the sign-up limit (10 an hour) as tests are added.
        rules = {action: scopes for action, scopes in DEFAULT_RULES.items() if action != "sign-up"}
        app = build_app(engine, tmp, rules=rules, models_dir=models_dir, categories=CATEGORIES)
        yield Site(app, engine, ids, key_of, topic_of, stored[-1], {"vision": stored[:3], "economics": stored[3:5]})


@pytest.fixture
def reader(site, request):
    """A signed-up visitor, with their user id; a new email per test (the store is the module's)."""
    email = re.sub(r"[^a-z0-9]", "-", request.node.name.lower())[:40] + "@example.org"
    with visit(site.app) as visitor:
        visitor.sign_up(email)
        yield visitor, visitor.whoami()["id"]


def save(site, user_id, paper_ids, collection: int | None = None):
    with site.engine.begin() as conn:
        for paper_id in paper_ids:
            save_paper(conn, user_id, paper_id)
            if collection is not None:
                add_to_collection(conn, user_id, paper_id, collection)


def ranked_keys(html: str) -> list[str]:
    """The paper keys of the ranked cards, in page order."""
    section = html.split('class="for-you-list"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<article class="paper-card"[^>]*data-key="([^"]+)"', section)


def cards(html: str) -> list[str]:
    section = html.split('class="for-you-list"', 1)[1].split("</ol>", 1)[0]
    return section.split("<li>")[1:]


def test_signed_out_visitors_are_sent_to_sign_in(site):
    with visit(site.app) as visitor:
        page = visitor.client.get(f"/for-you?week={WEEK}", follow_redirects=False)
        mine = visitor.client.get(f"/library/mine?name={NAMESAKE}", follow_redirects=False)
        as_json = visitor.client.get(f"/for-you.json?week={WEEK}")
        front = visitor.client.get("/")
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in?next=%2Ffor-you%3Fweek%3D")
    assert mine.status_code == 303 and mine.headers["location"].startswith("/sign-in?next=%2Flibrary%2Fmine")
    assert as_json.status_code == 401
    assert 'href="/for-you"' not in front.text and 'id="for-you"' not in front.text


def test_the_page_ranks_the_readers_topic_first_and_says_why_with_links(site, reader):
    visitor, user_id = reader
    library = site.ids["diffusion"]["library"][:4]
    save(site, user_id, library)
    response = visitor.client.get(f"/for-you?week={WEEK}")
    assert response.status_code == 200 and response.headers["cache-control"] == "private"
    keys = ranked_keys(response.text)
    assert len(keys) == 20  # a page of the week's 40
    assert [site.topic_of[key] for key in keys[:10]] == ["diffusion"] * 10
    library_paths = {f"/papers/{site.key_of[i]}" for i in library}
    for card in cards(response.text)[:10]:
        assert re.search(r'<span class="match match-(strong|weak)">(strong|weak) match</span>', card)
        close_to = re.findall(r'<a href="(/papers/[^"]+)">', card.split("Close to:", 1)[1].split("</p>", 1)[0])
        assert 2 <= len(close_to) <= 3 and set(close_to) <= library_paths
        assert re.search(r'Shares:\s*<span class="shared-word">\w', card)
    assert 'href="/for-you?week=' in response.text and 'rel="next"' in response.text  # periods and pages
    assert '<a href="/for-you"' in response.text and 'aria-current="page">For you</a>' in response.text  # nav

    following = visitor.client.get(f"/for-you?week={WEEK}&page=2")
    assert not set(ranked_keys(following.text)) & set(keys)

    body = visitor.client.get(f"/for-you.json?week={WEEK}").json()
    assert (body["state"], body["positives"], body["kind"]) == ("ready", 4, "week")
    assert [item["paper"]["key"] for item in body["items"]] == keys
    assert {ref["url"] for ref in body["items"][0]["closest"]} <= library_paths


def test_a_new_reader_is_offered_three_ways_to_start_and_a_small_library_is_told_what_it_needs(site, reader):
    visitor, user_id = reader
    upvoted = site.ids["galaxies"]["new"][3]
    with site.engine.begin() as conn:
        voter = create_user(conn, "voter-start@example.org")
        cast_vote(conn, voter, upvoted)
    page = visitor.client.get(f"/for-you?week={WEEK}").text
    assert 'class="for-you-list"' not in page
    assert re.search(r'needs <strong class="needed">3 more papers</strong>', page)
    assert 'action="/library/mine"' in page  # (a) these are my papers
    assert 'href="/library#import-heading"' in page  # (b) import
    starters = re.findall(r'<p class="starter-reason reason-(\w+)">\s*(.*?)\s*</p>\s*<article class="paper-card"'
                          r'[^>]*data-key="([^"]+)"', page, re.S)
    assert starters[0] == ("upvoted", "Most upvoted · 1 upvote", site.key_of[upvoted])  # (c) upvoted first
    assert [reason for reason, _, _ in starters[1:]] == ["central"] * 10
    assert len({key for _, _, key in starters}) == 11
    assert all(site.topic_of[key] for _, _, key in starters)  # the week's papers, nothing else
    assert page.count('data-save="/papers/') >= 11  # each with a Save button
    for category in CATEGORIES:
        assert f'href="/categories/{category}"' in page
    assert 'href="/trending"' in page

    save(site, user_id, site.ids["protein"]["library"][:2])
    learning = visitor.client.get(f"/for-you?week={WEEK}")
    assert re.search(r'needs <strong class="needed">1 more paper</strong>', learning.text)
    assert visitor.client.get(f"/for-you.json?week={WEEK}").json()["needed"] == 1


def test_opened_papers_can_be_hidden_and_signed_out_visits_mark_nothing(site, reader):
    visitor, user_id = reader
    save(site, user_id, site.ids["economics"]["library"][:4])
    top = ranked_keys(visitor.client.get(f"/for-you?week={WEEK}").text)[0]
    with visit(site.app) as stranger:
        with site.engine.connect() as conn:
            before = conn.execute(sa.select(sa.func.count()).select_from(paper_reads)).scalar()
        assert stranger.client.get(f"/papers/{top}").status_code == 200
        with site.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(paper_reads)).scalar() == before
    assert visitor.client.get(f"/papers/{top}.json").status_code == 200  # a script reads it: not opened
    with site.engine.connect() as conn:
        assert not conn.execute(sa.select(paper_reads).where(paper_reads.c.user_id == user_id)).first()
    assert visitor.client.get(f"/papers/{top}").status_code == 200  # the reader opens it
    shown = visitor.client.get(f"/for-you?week={WEEK}").text
    assert top in ranked_keys(shown)
    toggle = re.search(r'<a class="hide-read-toggle" href="([^"]+)"[^>]*>\s*Hide read papers', shown)
    assert toggle and "hide_read=1" in toggle.group(1)
    hidden = visitor.client.get(toggle.group(1).replace("&amp;", "&")).text
    assert top not in ranked_keys(hidden) and ranked_keys(hidden)
    assert "Show read papers" in hidden


def test_a_collection_has_its_own_ranking_and_others_ids_are_not_found(site, reader):
    visitor, user_id = reader
    with site.engine.begin() as conn:
        proteins = create_collection(conn, user_id, "Proteins").id
        other = create_user(conn, "collection-owner@example.org")
        theirs = create_collection(conn, other, "Theirs").id
    save(site, user_id, site.ids["protein"]["library"][:3], proteins)
    save(site, user_id, site.ids["economics"]["library"][:3])
    save(site, other, site.ids["galaxies"]["library"][:3], theirs)
    page = visitor.client.get(f"/for-you?week={WEEK}&collection={proteins}")
    assert [site.topic_of[key] for key in ranked_keys(page.text)[:10]] == ["protein"] * 10  # the week's 10
    assert f'<option value="{proteins}" selected>Proteins</option>' in page.text
    everything = visitor.client.get(f"/for-you?week={WEEK}&collection=")  # the picker's "whole library"
    assert {site.topic_of[key] for key in ranked_keys(everything.text)[:10]} <= {"protein", "economics"}
    assert "economics" in {site.topic_of[key] for key in ranked_keys(everything.text)}
    for guessed in (theirs, theirs + 1000):
        assert visitor.client.get(f"/for-you?week={WEEK}&collection={guessed}").status_code == 404
        assert visitor.client.get(f"/for-you.json?week={WEEK}&collection={guessed}").status_code == 404


def test_a_reader_never_sees_another_readers_ranking(site, reader):
    visitor, user_id = reader
    save(site, user_id, site.ids["galaxies"]["library"][:4])
    mine = visitor.client.get(f"/for-you.json?week={WEEK}").json()
    assert {site.topic_of[item["paper"]["key"]] for item in mine["items"][:10]} == {"galaxies"}
    with visit(site.app) as other:
        other.sign_up("someone-else@example.org")
        theirs = other.client.get(f"/for-you?week={WEEK}").text
        theirs_json = other.client.get(f"/for-you.json?week={WEEK}").json()
    assert theirs_json["state"] == "start" and theirs_json["items"] == []
    assert 'class="for-you-list"' not in theirs
    galaxies_library = [site.key_of[i] for i in site.ids["galaxies"]["library"][:4]]
    assert not any(f"/papers/{key}" in theirs for key in galaxies_library)  # nobody's library is named to them


def test_with_nothing_featured_everyone_sees_the_days_papers_by_readers_then_closeness(site, reader):
    visitor, user_id = reader
    day = NEW_DAYS[1]

    def by_interest() -> dict[str, dict]:
        with visit(site.app) as stranger:  # the list is the instance's, the same for a visitor signed out
            ranked = stranger.client.get(f"/.json?date={day}").json()["byInterest"]
        order = [(item["interest"]["readers"], item["interest"]["centrality"], item["interest"]["affinity"])
                 for item in ranked]
        closeness = [(readers, (c + a) / 2 if a is not None else c) for readers, c, a in order]
        assert closeness == sorted(closeness, key=lambda pair: (-pair[0], -pair[1]))
        return {item["paper"]["key"]: item["interest"] for item in ranked}

    before = by_interest()
    save(site, user_id, site.ids["galaxies"]["library"])  # the instance's taste moves towards galaxies
    after = by_interest()

    day_keys = {site.key_of[i] for parts in site.ids.values() for i in parts["new"]} & set(after)
    assert set(after) == set(before) == day_keys and len(after) == 8  # two new papers per topic that day
    assert all(i["centrality"] is not None and i["affinity"] is not None for i in after.values())  # real embeddings
    galaxies = [key for key in after if site.topic_of[key] == "galaxies"]
    for key in galaxies:
        assert before[key]["affinity"] is None or after[key]["affinity"] > before[key]["affinity"]
    if all(i["affinity"] is None for i in before.values()):  # no taste before: galaxies is all of it now
        assert site.topic_of[max(after, key=lambda key: after[key]["affinity"])] == "galaxies"


def test_the_front_page_shows_the_column_only_to_a_reader_with_a_model(site, reader):
    visitor, user_id = reader
    day = NEW_DAYS[-1].isoformat()
    without = visitor.client.get(f"/?date={day}").text
    assert 'id="for-you-heading"' not in without and "All of For you" not in without
    save(site, user_id, site.ids["protein"]["library"][:4])
    front = visitor.client.get(f"/?date={day}")
    assert front.headers["cache-control"] == "private"
    keys = ranked_keys(front.text)
    assert keys and len(keys) <= 10 and site.topic_of[keys[0]] == "protein"
    assert f'<a href="/for-you?date={day}">All of For you</a>' in front.text
    assert "Close to:" in front.text and 'id="by-interest"' in front.text  # the shared list stays below
    assert [item["paper"]["key"] for item in visitor.client.get(f"/.json?date={day}").json()["forYou"]] == keys
    with visit(site.app) as stranger:
        signed_out = stranger.client.get(f"/?date={day}")
    assert 'id="for-you-heading"' not in signed_out.text and "forYou" not in stranger_json(site, day)
    assert "cache-control" not in signed_out.headers


def stranger_json(site, day) -> dict:
    with visit(site.app) as stranger:
        return stranger.client.get(f"/.json?date={day}").json()


def test_these_are_my_papers_groups_namesakes_and_saves_a_group(site, reader):
    visitor, user_id = reader
    page = visitor.client.get(f"/library/mine?name={NAMESAKE.lower()}")
    assert page.status_code == 200 and page.headers["cache-control"] == "private"
    groups = page.text.split('<section class="namesake-group"')[1:]
    assert len(groups) == 2
    first, second = groups
    assert "Xavier Lens" in first and 'href="/categories/cs.CV"' in first and "Pat Ledger" not in first
    assert "Pat Ledger" in second and 'href="/categories/econ.GN"' in second
    vision_keys = re.findall(r'<input type="hidden" name="paper" value="([^"]+)">', first)
    assert sorted(vision_keys) == sorted(site.key_of[i] for i in site.namesakes["vision"])
    assert first.count('data-save="/papers/') == 3  # each paper's own Save button too
    saved = visitor.post_form("/library/mine/save", {"name": NAMESAKE, "paper": vision_keys})
    assert saved.status_code == 303 and saved.headers["location"] == "/library/mine?name=Ada+Namesake&saved=3"
    assert "3 papers saved to your library" in visitor.client.get(saved.headers["location"]).text
    with site.engine.connect() as conn:
        every = site.namesakes["vision"] + site.namesakes["economics"]
        assert saved_among(conn, user_id, every) == set(site.namesakes["vision"])
    again = visitor.post_form("/library/mine/save", {"name": NAMESAKE, "paper": vision_keys})
    assert again.headers["location"].endswith("saved=0")  # already saved: nothing twice
    assert visitor.post_form("/library/mine/save", {"name": NAMESAKE, "paper": ["2609.99999"]}).status_code == 404
    nobody = visitor.client.get("/library/mine?name=Nobody+At+All").text
    assert "No papers by “Nobody At All”" in nobody


def test_titles_in_the_reasons_are_escaped(site, reader):
    visitor, user_id = reader
    save(site, user_id, [site.hostile, *site.ids["diffusion"]["library"][:2]])
    page = visitor.client.get(f"/for-you?week={WEEK}").text
    close_to = [card.split("Close to:", 1)[1].split("</p>", 1)[0] for card in cards(page)[:5]]
    hostile_link = f'href="/papers/{site.key_of[site.hostile]}"'
    assert any(hostile_link in part for part in close_to)
    assert "<script>" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;guidance&lt;/b&gt;" in page


def test_bad_input_is_a_clear_error(site, reader):
    visitor, _ = reader
    assert visitor.client.get("/for-you?collection=abc").status_code == 422
    assert visitor.client.get("/for-you?collection=0").status_code == 422
    assert visitor.client.get("/for-you?week=2026-47").status_code == 422
    past = visitor.client.get(f"/for-you?week={WEEK}&page=6")  # 5 pages of 20 are the 100 kept
    assert past.status_code == 400 and "only the best 100 papers" in past.text
    assert visitor.client.get("/library/mine?name=" + "x" * 301).status_code == 422
    too_many = visitor.post_form("/library/mine/save", {"name": NAMESAKE, "paper": ["2609.00001"] * 101})
    assert too_many.status_code == 422
