"""The library through the real app, as a browser uses it: Save and "more / less like this" on cards and
paper pages (forms that go back to their page, and the JSON app.js asks for), the /library page
(collections, newest saved first, paging, search, notes, move, copy, remove) and /library/learned
(what the model learns from, cleared item by item or all ratings at once)."""

from __future__ import annotations

import re
from datetime import date

import pytest

from factories import feature, store_paper
from paperfeed.db.library import saved_among
from paperfeed.web.links import LIST_PER_PAGE
from web_client import build_app, sqlite_engine, visit

PAPER = "2405.00001"


@pytest.fixture
def site(tmp_path):
    """(engine, a signed-in visitor) with papers 1-3 stored and featured on one day."""
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        for n in (1, 2, 3):
            feature(engine, store_paper(engine, n, authors=("Ada Lovelace", f"Author {n}")), date(2024, 5, 1), n)
        visitor.sign_up()
        yield engine, visitor


def saved_keys(visitor, query: str = "") -> list[str]:
    return [item["paper"]["key"] for item in visitor.client.get(f"/library.json{query}").json()["items"]]


def make_collection(visitor, name: str) -> int:
    response = visitor.api("POST", "/library/collections", data={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_save_and_unsave_by_form_go_back_to_the_page_and_show_on_the_cards(site):
    engine, visitor = site

    saved = visitor.post_form(f"/papers/{PAPER}/save", headers={"Referer": "http://testserver/papers/daily?x=1"})
    daily = visitor.client.get("/papers/daily?date=2024-05-01").text
    page = visitor.client.get(f"/papers/{PAPER}").text

    assert (saved.status_code, saved.headers["location"]) == (303, "/papers/daily?x=1")
    assert saved_keys(visitor) == [PAPER]
    assert daily.count('class="save-toggle saved"') == 1 and daily.count('class="save-toggle"') == 2
    assert f'action="/papers/{PAPER}/unsave"' in page and ">Saved<" in page
    gone = visitor.post_form(f"/papers/{PAPER}/unsave", {"next": "/library"})
    assert gone.headers["location"] == "/library" and saved_keys(visitor) == []


def test_signed_out_visitors_see_no_library_buttons_and_are_sent_to_sign_in(site):
    engine, visitor = site
    visitor.post_form("/sign-out")

    form = visitor.post_form(f"/papers/{PAPER}/save", {"next": "/trending"})
    as_json = visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "more"})
    library_page = visitor.client.get("/library", follow_redirects=False)
    library_json = visitor.client.get("/library.json")

    assert form.status_code == 303 and form.headers["location"] == "/sign-in?next=%2Ftrending&why=library"
    assert "Sign in to save papers to your library" in visitor.client.get(form.headers["location"]).text
    assert (as_json.status_code, as_json.json()["error"]["message"]) == (401, "Sign in to rate papers.")
    assert library_page.headers["location"] == "/sign-in?next=%2Flibrary&why=library"
    assert library_json.status_code == 401
    assert "save-toggle" not in visitor.client.get(f"/papers/{PAPER}").text
    with engine.connect() as conn:
        assert saved_among(conn, 1, [1, 2, 3]) == set()


def test_the_buttons_answer_json_with_the_papers_library_state(site):
    _, visitor = site
    saved = visitor.api("POST", f"/papers/{PAPER}/save", data={"note": "  read section 3 "})
    more = visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "more"})
    less = visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "less"})
    forgotten = visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "none"})
    bad = visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "maybe"})
    missing = visitor.api("POST", "/papers/2999.99999/save")

    assert {k: saved.json()[k] for k in ("paper", "saved", "note", "collections", "rating")} == {
        "paper": PAPER, "saved": True, "note": "read section 3", "collections": [], "rating": None}
    assert (more.json()["rating"], less.json()["rating"], forgotten.json()["rating"]) == ("more", "less", None)
    assert bad.status_code == 422 and missing.status_code == 404


def test_rated_buttons_show_pressed_and_offer_to_forget(site):
    _, visitor = site
    visitor.api("POST", f"/papers/{PAPER}/rating", data={"rating": "less"})
    page = visitor.client.get(f"/papers/{PAPER}").text
    less = re.search(r'<button type="submit" name="rating" value="(\w+)" data-rating="less"\s+aria-pressed="(\w+)"',
                     page)
    assert less.groups() == ("none", "true")


def test_collections_by_form_make_rename_refuse_and_delete(site):
    engine, visitor = site
    made = visitor.post_form("/library/collections", {"name": "  To   read "})
    collection = int(made.headers["location"].split("collection=")[1])
    taken = visitor.post_form("/library/collections", {"name": "TO READ"})
    renamed = visitor.post_form(f"/library/collections/{collection}/rename", {"name": "Later"})
    visitor.post_form(f"/papers/{PAPER}/save", {"collection": str(collection)})
    page = visitor.client.get(f"/library?collection={collection}").text

    assert made.status_code == 303
    assert taken.status_code == 400 and "you have a collection named &#39;TO READ&#39; already" in taken.text
    assert renamed.headers["location"] == f"/library?collection={collection}"
    assert 'Your library: <span class="collection-name">Later</span>' in page
    assert 'Later <span class="count">(1)' in page

    deleted = visitor.post_form(f"/library/collections/{collection}/delete")
    assert deleted.headers["location"] == "/library"
    assert visitor.client.get(f"/library?collection={collection}").status_code == 404
    assert saved_keys(visitor) == [PAPER]  # the paper stays saved


def test_move_copy_take_out_and_note_by_form_and_json(site):
    _, visitor = site
    reading, done = make_collection(visitor, "Reading"), make_collection(visitor, "Done")
    visitor.api("POST", f"/papers/{PAPER}/save", data={"collection": str(reading)})

    copied = visitor.api("POST", f"/library/papers/{PAPER}/move", data={"to": str(done), "mode": "copy"})
    moved = visitor.post_form(f"/library/papers/{PAPER}/move", {"to": str(reading), "from": str(done),
                                                                "next": f"/library?collection={done}"})
    out = visitor.api("POST", f"/library/papers/{PAPER}/uncollect", data={"collection": str(reading)})
    everywhere = visitor.api("POST", f"/library/papers/{PAPER}/move", data={"to": str(done)})
    noted = visitor.post_form(f"/library/papers/{PAPER}/note", {"note": "Compare with <b>RNNs</b>"})
    too_long = visitor.api("POST", f"/library/papers/{PAPER}/note", data={"note": "x" * 2001})
    not_saved = visitor.api("POST", "/library/papers/2405.00002/note", data={"note": "hi"})

    assert [c["name"] for c in copied.json()["collections"]] == ["Reading", "Done"]
    assert moved.headers["location"] == f"/library?collection={done}"
    assert out.json()["collections"] == []
    assert [c["name"] for c in everywhere.json()["collections"]] == ["Done"]
    assert noted.status_code == 303 and too_long.status_code == 422 and not_saved.status_code == 404
    page = visitor.client.get(f"/library?collection={done}").text
    assert "Compare with &lt;b&gt;RNNs&lt;/b&gt;</textarea>" in page
    assert visitor.client.get(f"/library.json?collection={reading}").json()["items"] == []


def test_library_lists_newest_saved_first_pages_and_searches(site):
    engine, visitor = site
    for n in range(4, 4 + LIST_PER_PAGE):
        store_paper(engine, n)
    for n in range(1, 4 + LIST_PER_PAGE):
        visitor.api("POST", f"/papers/2405.{n:05d}/save", data={"note": "needle in a note" if n == 2 else ""})

    first = visitor.client.get("/library.json").json()
    second = visitor.client.get(first["links"]["nextPage"] + "&format=json").json()
    by_note = saved_keys(visitor, "?q=NEEDLE")
    by_author = saved_keys(visitor, "?q=lovelace")
    by_title = saved_keys(visitor, f"?q=number {LIST_PER_PAGE + 3}")

    assert first["total"] == LIST_PER_PAGE + 3 and len(first["items"]) == LIST_PER_PAGE
    assert first["items"][0]["paper"]["key"] == f"2405.{LIST_PER_PAGE + 3:05d}"  # the last saved
    assert [item["paper"]["key"] for item in second["items"]] == ["2405.00003", "2405.00002", "2405.00001"]
    assert second["links"] == {"previousPage": "/library", "nextPage": None}
    assert by_note == ["2405.00002"] and by_author == ["2405.00003", "2405.00002", "2405.00001"]
    assert by_title == [f"2405.{LIST_PER_PAGE + 3:05d}"]
    assert "Nothing in your library matches" in visitor.client.get("/library?q=nothing+like+it").text


def test_learned_lists_saves_upvotes_and_ratings_and_clears_them(site):
    _, visitor = site
    visitor.api("POST", "/papers/2405.00001/save")
    visitor.api("POST", "/papers/2405.00002/vote")
    visitor.api("POST", "/papers/2405.00003/rating", data={"rating": "more"})
    visitor.api("POST", "/papers/2405.00001/rating", data={"rating": "less"})

    learned = visitor.client.get("/library/learned.json").json()
    page = visitor.client.get("/library/learned").text
    assert [(p["paper"], [r["kind"] for r in p["reasons"]]) for p in learned["positives"]] == [
        ("2405.00003", ["more"]), ("2405.00002", ["upvoted"])]
    assert [(p["paper"], [r["kind"] for r in p["reasons"]]) for p in learned["negatives"]] == [
        ("2405.00001", ["less"])]
    assert page.count("Forget rating") == 2 and "Take back upvote" in page and "Clear all ratings" in page

    unvoted = visitor.post_form("/papers/2405.00002/unvote", {"next": "/library/learned"})
    cleared = visitor.post_form("/library/learned/clear-ratings")
    after = visitor.client.get("/library/learned.json").json()

    assert unvoted.headers["location"] == cleared.headers["location"] == "/library/learned"
    assert [(p["paper"], [r["kind"] for r in p["reasons"]]) for p in after["positives"]] == [
        ("2405.00001", ["saved"])]  # no longer "less like this": the save counts again
    assert after["negatives"] == []
    assert visitor.api("POST", "/library/learned/clear-ratings").json() == {"cleared": 0}
