"""Browser tests: Playwright drives Debian's Chromium against the real app, served by uvicorn on
loopback over a SQLite store and a real search index, as a new visitor would use it: the daily feed,
signing up, searching, opening and upvoting a paper (with and without JavaScript), signing out and
being refused a vote; the keyboard, form labels, console errors, and full-page screenshots of the
main pages in test-artifacts/screenshots/ (look at them after a run).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.listings import upsert_listings
from paperfeed.models import Listing
from paperfeed.web.render import katex_installed
from paperfeed.web.routes.docs import swagger_installed
from web_client import PASSWORD, build_app, indexed_search, serve, sqlite_engine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TODAY = datetime.now(UTC).date()  # featured today, so the papers are trending too

ATTENTION, SORTING, DIFFUSION, SPARSE, GRAPHS, ZETA = (
    "1706.03762", "2405.01234", "2405.02345", "2405.03456", "2405.04567", "2405.05678")
# (arXiv id, title, abstract, authors, categories, upvotes imported from the daily list or None: not featured)
PAPERS = [
    (ATTENTION, "Attention Is All You Need",
     "The dominant sequence transduction models are based on complex recurrent or convolutional neural networks. "
     "We propose the Transformer, based solely on attention mechanisms, dispensing with recurrence entirely.",
     ("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones"), ("cs.CL", "cs.LG"), 12),
    (SORTING, r"Learned Comparators Sort in $O(n \log n)$ Expected Time",
     r"We train a comparator network and prove that sorting with it takes $O(n \log n)$ comparisons in "
     r"expectation, with error at most $\epsilon = 2^{-k}$ after $k$ rounds.",
     ("Grace Hopper", "Donald Knuth"), ("cs.DS", "cs.LG"), 7),
    (DIFFUSION, "Diffusion Models Beat GANs on Image Synthesis",
     "We show that diffusion models can achieve image sample quality superior to the current state-of-the-art "
     "generative models, with classifier guidance trading diversity for fidelity.",
     ("Prafulla Dhariwal", "Alex Nichol"), ("cs.CV", "cs.LG", "stat.ML"), 5),
    (SPARSE, r"Sparse Transformers: Attention over Long Sequences in $O(n\sqrt{n})$",
     r"Sparse factorizations of the attention matrix reduce the cost of transformers from $O(n^2)$ to "
     r"$O(n\sqrt{n})$: $$\mathrm{Attend}(X, S) = \left(a(x_i, S_i)\right)_{i \in \{1, \dots, n\}}$$",
     ("Rewon Child", "Scott Gray", "Alec Radford", "Ilya Sutskever"), ("cs.LG", "stat.ML"), 3),
    (GRAPHS, "Graph Neural Networks for Molecular Property Prediction",
     "Message passing networks learn molecular properties from the graph of atoms and bonds.",
     ("Justin Gilmer", "Samuel Schoenholz"), ("cs.LG", "q-bio.BM"), None),
    (ZETA, r"Zeros of $\zeta(s)$ off the Critical Line Are Rare",
     r"We bound the density of zeros of $\zeta(s)$ with $\Re(s) > 1/2 + \delta$.",
     ("Bernhard Riemann",), ("math.NT",), None),
]
UPVOTES = {arxiv_id: upvotes for arxiv_id, *_, upvotes in PAPERS if upvotes is not None}

# Each control with no accessible name from a <label>, aria-label or aria-labelledby; and each label
# pointing at no control.
UNNAMED_CONTROLS = """() => [
  ...Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
    .filter(el => !((el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'))
                    || el.closest("label") || el.getAttribute("aria-label")
                    || (el.getAttribute("aria-labelledby") || "").split(/\\s+/)
                         .some(id => document.getElementById(id))))
    .map(el => el.outerHTML),
  ...Array.from(document.querySelectorAll("label[for]"))
    .filter(label => !document.getElementById(label.htmlFor)).map(label => label.outerHTML),
]"""
# Pairs of the header's parts that overlap, and whether the page scrolls sideways.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const parts = Array.from(document.querySelectorAll(".site-header > *")).map(el => [el, el.getBoundingClientRect()]);
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    const [a, r] = parts[i], [b, s] = parts[j];
    if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1)
      problems.push("overlap: " + (a.className || a.tagName) + " / " + (b.className || b.tagName));
  }
  if (document.documentElement.scrollWidth > window.innerWidth)
    problems.push("scrolls sideways: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  return problems;
}"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, models_dir):
    """The real app on a handful of papers, four featured today, with a real search index."""
    tmp_path = tmp_path_factory.mktemp("browser")
    with sqlite_engine(tmp_path) as engine:
        ids = {}
        for arxiv_id, title, abstract, authors, categories, _ in PAPERS:
            ids[arxiv_id] = store_paper(engine, arxiv_id=arxiv_id, title=title, abstract=abstract, authors=authors,
                                        categories=categories, published_on=TODAY - timedelta(days=1),
                                        announced_on=TODAY, pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
                                        abs_url=f"https://arxiv.org/abs/{arxiv_id}")
        with engine.begin() as conn:
            upsert_listings(conn, [Listing(ids[key], TODAY, "hf-daily", upvotes=n) for key, n in UPVOTES.items()])
        settings = Settings(_env_file=None, data_dir=tmp_path, models_dir=models_dir, database_url=str(engine.url))
        app = build_app(engine, tmp_path, search=indexed_search(engine, settings), models_dir=models_dir)
        with serve(app) as url:
            yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A fresh browser context (its own cookies) with one page, recording console errors, uncaught
    exceptions and the page's navigations. Chromium logs a page that comes with an error status (a
    form sent back with its mistakes is a 400) as a failed load; the tests check those pages
    themselves, so only the loads of what a page needs (scripts, styles, fonts, fetches) count."""

    def __init__(self, browser: Browser, base_url: str, **options) -> None:
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, **options)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.navigations: list[str] = []
        self.documents: set[str] = set()
        self.page.on("request", lambda r: r.resource_type == "document" and self.documents.add(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        self.page.on("framenavigated",
                     lambda frame: frame == self.page.main_frame and self.navigations.append(frame.url))

    def _console(self, message) -> None:
        page_status = message.text.startswith("Failed to load resource") and message.location["url"] in self.documents
        if message.type == "error" and not page_status:
            self.errors.append(f"{message.text} at {message.location}")

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture
def open_tab(browser, base_url):
    tabs: list[Tab] = []

    def open_tab(**options) -> Tab:
        tabs.append(Tab(browser, base_url, **options))
        return tabs[-1]

    yield open_tab
    for tab in tabs:
        tab.context.close()


def keys(cards) -> list[str]:
    return cards.evaluate_all("cards => cards.map(card => card.dataset.key)")


def expect_math(span, source: str, *, rendered: bool) -> None:
    """Math is KaTeX's markup when its files are installed and JavaScript runs; else the TeX as written."""
    expect(span).to_have_attribute("data-tex", source.strip("$"))
    if rendered:
        expect(span.locator(".katex")).to_have_count(1)
    else:
        expect(span).to_have_text(source)


def sign_up(page: Page, email: str) -> None:
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".signed-in")).to_have_text(f"Signed in as {email}")


def tab_to(page: Page, selector: str, limit: int = 40) -> int:
    """Press Tab until the element is focused; how many presses it took."""
    target = page.locator(selector)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{limit} presses of Tab never reached {selector}")


def focus_ring(page: Page) -> str:
    """The focused element's outline, as drawn."""
    return page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                         "return s.outlineStyle === 'none' ? 'none' : s.outlineWidth + ' ' + s.outlineStyle; }")


def test_a_new_visitor_signs_up_searches_and_upvotes_without_a_reload(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/")
    featured = page.locator("#featured .paper-card")
    assert keys(featured) == [ATTENTION, SORTING, DIFFUSION, SPARSE]  # most upvoted first
    assert featured.locator(".upvote-count").all_inner_texts() == ["12", "7", "5", "3"]
    expect(page.locator("#featured-heading")).to_have_text("Featured (4)")
    expect(page.locator("#new-on-arxiv .paper-card")).not_to_have_count(0)
    expect_math(featured.nth(1).locator(".paper-title span.math"), r"$O(n \log n)$", rendered=katex_installed())

    sign_up(page, "newcomer@example.org")
    expect(page).to_have_url(tab.url("/"))  # back where they started

    page.get_by_role("searchbox", name="Search papers").fill("sparse attention")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=sparse\+attention$"))
    results = page.locator("#search-results .paper-card")
    expect(results.first).to_be_visible()
    assert SPARSE in keys(results)
    expect(results.locator("mark", has_text=re.compile("^sparse$", re.I)).first).to_be_visible()
    page.locator(f'#search-results [data-key="{SPARSE}"] .paper-title a').click()

    expect(page).to_have_url(tab.url(f"/papers/{SPARSE}"))
    expect(page.locator("h1")).to_contain_text("Sparse Transformers: Attention over Long Sequences")
    vote = page.locator(".paper-header form.upvote")
    button, count = vote.get_by_role("button"), vote.locator(".upvote-count")
    expect(count).to_have_text("3")
    expect(button).to_have_attribute("aria-pressed", "false")

    page.evaluate("window.stillTheSamePage = true")
    visited = len(tab.navigations)
    button.click()
    expect(count).to_have_text("4")
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(vote).to_have_class(re.compile(r"\bvoted\b"))
    expect(vote).to_have_attribute("action", f"/papers/{SPARSE}/unvote")
    assert page.evaluate("window.stillTheSamePage") is True  # counted in place: no reload
    assert len(tab.navigations) == visited

    page.reload()
    expect(count).to_have_text("4")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.stillTheSamePage") is None  # it was reloaded

    button.click()  # un-vote
    expect(count).to_have_text("3")
    expect(button).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(count).to_have_text("3")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(tab.url("/"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator(".signed-in")).to_have_count(0)

    page.goto(f"/papers/{SPARSE}")
    button.click()  # refused: sent to sign in, and brought back after
    expect(page).to_have_url(re.compile(rf"/sign-in\?next=%2Fpapers%2F{re.escape(SPARSE)}&why=vote$"))
    expect(page.get_by_role("status")).to_have_text("Sign in to upvote papers.")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(tab.url(f"/papers/{SPARSE}"))
    expect(count).to_have_text("3")
    expect(button).to_have_attribute("aria-pressed", "false")

    assert tab.errors == []


def test_search_results_update_as_you_type(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/search?q=sorting")
    results = page.locator("#search-results .paper-card")
    expect(results.first).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("Words, \"phrases\", or ti:/au:/abs:/cat: terms").fill("diffusion image synthesis")
    expect(results.first).to_have_attribute("data-key", DIFFUSION)
    expect(page).to_have_url(tab.url("/search?q=diffusion+image+synthesis&sort=relevance"))  # no empty fields
    assert page.evaluate("window.stillTheSamePage") is True
    assert tab.errors == []


def test_the_api_docs_work_offline_under_the_sites_script_policy(open_tab):
    # Swagger UI comes from this site (npm at install time), started by a file, not inline code:
    # a script the policy blocked, or one fetched from a CDN, would leave no operations and log errors.
    tab = open_tab()
    page = tab.page
    response = page.goto("/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    if not swagger_installed():
        expect(page.get_by_role("link", name="/openapi.json")).to_be_visible()
        return
    expect(page.locator(".opblock-summary-path", has_text="/api/daily_papers")).to_be_visible()
    assert tab.errors == []


def test_the_subscription_form_fills_in_the_browsers_time_zone(open_tab):
    tab = open_tab(timezone_id="Asia/Tokyo")
    tab.page.goto("/subscriptions")
    expect(tab.page.locator("[data-detect-timezone]")).to_have_value("Asia/Tokyo")
    assert tab.errors == []


def test_voting_works_without_javascript(open_tab):
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    page.goto("/")
    sign_up(page, "no-script@example.org")
    page.goto(f"/papers/{DIFFUSION}")
    vote = page.locator(".paper-header form.upvote")
    button, count = vote.get_by_role("button"), vote.locator(".upvote-count")
    expect(count).to_have_text("5")

    visited = len(tab.navigations)
    button.click()  # the form posts; the server sends the page back
    expect(count).to_have_text("6")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert len(tab.navigations) > visited
    expect(page).to_have_url(tab.url(f"/papers/{DIFFUSION}"))

    button.click()
    expect(count).to_have_text("5")
    expect(button).to_have_attribute("aria-pressed", "false")

    page.goto("/")  # math stays readable as TeX
    expect_math(page.locator(f'#featured [data-key="{SORTING}"] .paper-title span.math'), r"$O(n \log n)$",
                rendered=False)

    page.goto("/search")  # the search form submits every field, the empty dates too
    page.get_by_label("Words, \"phrases\", or ti:/au:/abs:/cat: terms").fill("diffusion image synthesis")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=diffusion\+image\+synthesis&since=&until="))
    expect(page.locator("#search-results .paper-card").first).to_have_attribute("data-key", DIFFUSION)
    assert tab.errors == []


def test_tab_reaches_the_skip_link_first_then_the_main_navigation(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/")
    skip = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden above the page until focused
    assert focus_ring(page) != "none"

    nav = page.get_by_role("navigation", name="Main")
    for name in ["paperfeed", "Daily", "Trending", "Discussed", "Search"]:
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_focused()
        assert focus_ring(page) != "none"

    for _ in range(5):
        page.keyboard.press("Shift+Tab")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is in the content, past the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
    assert tab.errors == []


def test_sign_up_and_sign_in_with_the_keyboard_alone(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/sign-up")
    tab_to(page, "#field-email")
    assert focus_ring(page) != "none"
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username (optional)")).to_be_focused()
    page.keyboard.type("keys_only")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".signed-in")).to_have_text("Signed in as keys_only")

    tab_to(page, "form.sign-out button")
    assert focus_ring(page) != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    page.goto("/sign-in")
    tab_to(page, "#field-email")
    page.keyboard.type("keys@example.org")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".signed-in")).to_have_text("Signed in as keys_only")
    assert tab.errors == []


def test_a_sign_up_with_mistakes_names_each_one_at_its_field(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/sign-up")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Password").fill("short")
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please fix these:")
    email, password = page.get_by_label("Email"), page.get_by_label("Password")
    expect(email).to_have_value("not an address")  # kept; the password is not
    expect(password).to_have_value("")
    for field in (email, password):
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile(r"10 characters"))
    expect(page.locator(".signed-in")).to_have_count(0)

    summary.get_by_role("link").last.click()  # the summary's link goes to its field
    expect(password).to_be_focused()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sign-up-errors.png", full_page=True)
    assert tab.errors == []


@pytest.mark.parametrize(("path", "labels"), [
    ("/sign-up", ["Email", "Username (optional)", "Password"]),
    ("/sign-in", ["Email", "Password"]),
    ("/search?q=transformer", ["Since", "Until", "Category", "Author", "Sort by"]),
    ("/subscriptions", ["Email", "Daily", "Weekly", "Time zone", "cs.LG", "Saved searches, one a line"]),
])
def test_every_form_control_has_an_accessible_name(open_tab, path, labels):
    tab = open_tab()
    page = tab.page
    assert page.goto(path).ok
    for label in labels:
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS) == []
    controls = page.locator("input:not([type=hidden]), select, textarea")
    assert controls.count() >= len(labels)
    for control in controls.all():
        expect(control).to_have_accessible_name(re.compile(r"\w"))
    assert tab.errors == []


@pytest.mark.parametrize(("name", "path", "width"), [
    ("daily", "/", 1280),
    ("search", "/search?q=attention+transformers", 1280),
    ("paper", f"/papers/{SORTING}", 1280),
    ("trending", "/trending", 1280),
    ("sign-up", "/sign-up", 1280),
    ("subscriptions", "/subscriptions", 1280),
    ("daily-narrow", "/", 390),
    ("paper-narrow", f"/papers/{SPARSE}", 390),
])
def test_screenshots_of_the_main_pages(open_tab, name, path, width):
    """Saved for a person to look at; checked here only for what a script can see."""
    tab = open_tab()
    page = tab.page
    page.set_viewport_size({"width": width, "height": 900})
    assert page.goto(path).ok
    page.wait_for_load_state("networkidle")
    assert page.evaluate(LAYOUT_PROBLEMS) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000
    assert tab.errors == []


def test_a_reader_comments_replies_and_deletes_without_a_reload_and_markup_stays_inert(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/")
    sign_up(page, "commenter@example.org")
    page.goto(f"/papers/{ATTENTION}#discussion")
    visited = len(tab.navigations)
    box = page.locator("form.comment-form:not([data-reply-to])")
    box.get_by_label("Add a comment").fill("Why divide by $\\sqrt{d_k}$? <img src=x onerror=\"window.owned=1\">")
    box.get_by_role("button", name="Comment").click()
    comment = page.locator("#discussion article.comment").last
    expect(comment.locator(".comment-body")).to_contain_text("Why divide by")
    expect_math(comment.locator("span.math"), r"$\sqrt{d_k}$", rendered=katex_installed())
    expect(comment.locator(".comment-body")).to_contain_text('<img src=x onerror="window.owned=1">')  # as text
    assert comment.locator("img").count() == 0 and page.evaluate("window.owned") is None

    thread = page.locator(f'[data-thread="{comment.get_attribute("data-comment")}"]')  # not .last: replies come
    thread.locator(".reply-box summary").click()
    thread.locator(".reply-box textarea").fill("The dot products grow with **d_k**.")
    thread.get_by_role("button", name="Reply").click()
    reply = thread.locator(".replies article.comment")
    expect(reply.locator("strong")).to_have_text("d_k")

    box.get_by_label("Add a comment").fill("x" * 10_001)  # maxlength stops the browser at the limit
    assert len(box.get_by_label("Add a comment").input_value()) == 10_000

    page.once("dialog", lambda dialog: dialog.accept())
    reply.get_by_role("button", name="Delete").click()
    expect(thread.locator(".replies article.comment")).to_have_count(0)
    assert len(tab.navigations) == visited  # posted, replied and deleted in place
    page.reload()
    expect(page.locator("#discussion .replies article.comment")).to_have_count(0)
    expect(page.locator("#discussion .comment-body").last).to_contain_text("Why divide by")
    assert tab.errors == []


def test_commenting_works_without_javascript(open_tab):
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    page.goto("/")
    sign_up(page, "no-script-commenter@example.org")
    page.goto(f"/papers/{DIFFUSION}")
    page.get_by_label("Add a comment").fill("Classifier guidance, *plainly*.")
    visited = len(tab.navigations)
    page.get_by_role("button", name="Comment").click()
    assert len(tab.navigations) > visited
    expect(page).to_have_url(re.compile(rf"/papers/{DIFFUSION}#comment-\d+$"))
    expect(page.locator("#discussion .comment-body em")).to_have_text("plainly")
    page.locator("#discussion .comment-edit").click()
    page.get_by_label("Comment (Markdown and $math$)").fill("Classifier guidance, edited.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#discussion .comment-body")).to_have_text("Classifier guidance, edited.")
    expect(page.locator("#discussion .comment-edited")).to_have_text("(edited)")
    page.locator("#discussion").screenshot(path=str(SCREENSHOTS / "discussion-no-js.png"))
    assert tab.errors == []
