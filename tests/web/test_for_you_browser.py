"""For you in a real browser (Playwright + Debian's Chromium against uvicorn on loopback, a SQLite store
of four topics with real embeddings): a new reader signs up, sees how to start, imports a BibTeX file of
their papers, opens For you, rates two cards "less like this" without the page reloading, and after a
reload sees the order change. Screenshots of the pages go to /tmp/shots/ (look at them after a run).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from for_you_world import NEW_DAYS, TOPICS, build_world
from namesake_world import NAMESAKE, namesake_records
from paperfeed.config import Settings
from paperfeed.db.papers import papers_by_ids, upsert_papers
from paperfeed.normalize import normalize_record
from paperfeed.search.maintenance import update_index
from web_client import PASSWORD, build_app, serve, sqlite_engine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
SHOTS = Path("/tmp/shots")
WEEK = NEW_DAYS[0].strftime("%G-W%V")
CATEGORIES = [category for category, _, _ in TOPICS.values()]


@pytest.fixture(scope="module")
def world(tmp_path_factory, models_dir):
    """(base URL, the papers by topic and part, paper key -> topic)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    tmp = tmp_path_factory.mktemp("for-you-browser")
    with sqlite_engine(tmp) as engine:
        ids = build_world(engine)
        with engine.begin() as conn:
            upsert_papers(conn, [normalize_record(r) for r in sum(namesake_records(), [])])
        update_index(Settings(_env_file=None, data_dir=tmp, models_dir=models_dir, database_url=str(engine.url)),
                     engine)
        with engine.connect() as conn:
            found = papers_by_ids(conn, [i for parts in ids.values() for i in parts["library"] + parts["new"]])
        papers = {topic: {part: [found[i] for i in parts[part]] for part in parts} for topic, parts in ids.items()}
        topic_of = {paper.key: topic for topic, parts in papers.items() for part in parts.values() for paper in part}
        # arXiv at a closed port: the import must find every paper in the store, never ask arXiv.
        app = build_app(engine, tmp, models_dir=models_dir, categories=CATEGORIES,
                        arxiv_api_url="http://127.0.0.1:9/api/query")
        with serve(app) as url:
            yield url, papers, topic_of


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def bibtex(papers) -> str:
    """A reference manager's export of these papers, in arXiv's own style."""
    return "\n".join(
        f"@misc{{paper{n},\n  title = {{{paper.title}}},\n  author = {{{' and '.join(paper.authors)}}},\n"
        f"  year = {{2026}},\n  eprint = {{{paper.arxiv_id}}},\n  archivePrefix = {{arXiv}},\n}}\n"
        for n, paper in enumerate(papers))


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def ranked(page) -> list[str]:
    return page.locator(".for-you-list .paper-card").evaluate_all("cards => cards.map(card => card.dataset.key)")


def test_sign_up_import_rate_two_cards_without_a_reload_and_see_the_order_change(world, browser, tmp_path):
    url, papers, topic_of = world
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/sign-up")
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".signed-in")).to_have_text("Signed in as reader@example.org")

    page.get_by_role("link", name="For you").click()  # nothing saved yet: the ways to start
    expect(page.locator(".needed")).to_have_text("3 more papers")
    expect(page.locator(".starter-reason").first).to_be_visible()
    shot(page, "for-you-start")

    library = papers["diffusion"]["library"][:3] + papers["galaxies"]["library"][:3]
    bib = tmp_path / "my-papers.bib"
    bib.write_text(bibtex(library))
    page.goto("/library")
    page.get_by_label("A BibTeX, RIS or CSL-JSON file").set_input_files(str(bib))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".import-report")).to_contain_text("6 papers saved")

    page.goto(f"/for-you?week={WEEK}")
    before = ranked(page)
    assert len(before) == 20 and {topic_of[key] for key in before} == {"diffusion", "galaxies"}
    assert set(page.locator(".for-you-why .match").all_inner_texts()) <= {"strong match", "weak match"}
    assert page.locator(".for-you-why .match").count() >= 1  # the best say how good; the rest may not
    assert page.locator(".for-you-why .close-to a").count() >= 2 * len(before)
    shot(page, "for-you-ready")

    rated = [key for key in before if topic_of[key] == "galaxies"][:2]
    page.evaluate("() => { window.notReloaded = true; }")
    navigations = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and navigations.append(frame.url))
    for key in rated:
        button = page.locator(f'.paper-card[data-key="{key}"] button[data-rating="less"]')
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("() => window.notReloaded === true") and navigations == []  # no page load happened

    page.reload()
    after = ranked(page)
    assert after != before
    position = {key: after.index(key) if key in after else len(after) for key in rated}
    assert all(position[key] > before.index(key) for key in rated)  # the two rated papers went down
    assert errors == []

    page.goto("/")  # the front page's main column: the reader's best papers of the day
    expect(page.locator("#for-you-heading")).to_be_visible()
    expect(page.get_by_role("link", name="All of For you")).to_have_attribute(
        "href", f"/for-you?date={NEW_DAYS[-1].isoformat()}")
    shot(page, "front-page-for-you")

    page.goto(f"/library/mine?name={NAMESAKE}")
    expect(page.locator(".namesake-group")).to_have_count(2)
    shot(page, "library-mine")
    page.locator(".namesake-group").first.get_by_role("button", name="Save these papers").click()
    expect(page.locator(".saved-report")).to_contain_text("3 papers saved")
    context.close()
