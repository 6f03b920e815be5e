"""Hostile text in papers: titles, abstracts, author names, DOIs and submitters holding HTML and
script, LaTeX with markup inside the math, right-to-left text with override characters, emoji,
zero-width characters, and a 1 MB abstract. Every page that shows them is parsed with a real
HTML parser (lxml): no injected element or attribute may exist in the DOM, and the text must read
exactly as stored. The JSON forms return it byte for byte.

The papers are stored as ingest leaves them (clean_text and normalize_author, the parts of
normalize_record that apply; the whole of it would refuse the 1 MB abstract, which the store and
the pages must still survive).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from urllib.parse import parse_qs, quote, urlsplit

import jinja2
import lxml.html
import orjson
import pytest
from starlette.requests import Request

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import get_paper
from paperfeed.identity import normalize_doi
from paperfeed.models import Listing
from paperfeed.normalize import clean_text, normalize_author
from paperfeed.web.cards import author_path, paper_path
from paperfeed.web.mathtext import split_math
from paperfeed.web.render import json_url
from web_client import build_app, indexed_search, sqlite_engine, visit

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SVG = "\"'><svg onload=alert(1)>"
RLO, PDF = "\u202e", "\u202c"  # right-to-left override, pop directional formatting
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
DAY = date(2024, 3, 5)
SUBMITTER = "\"><img src=x onerror=alert('submitter')>"
MEGABYTE = 1_000_000

RAW_PAPERS = {
    "html": {
        "title": f"Zebra {SCRIPT} </title><script>alert(2)</script> {IMG}",
        "abstract": f"{SVG} <iframe src=javascript:alert(1)></iframe> \" onmouseover=\"alert(1)\" "
                    "'single' & &amp; &lt;b&gt; <!-- not a comment --> ]]> </textarea></p><b>bold</b> "
                    "<style>*{display:none}</style> <a href=javascript:alert(1)>click</a>",
        "authors": (IMG, SVG, "O'Brien \"Bob\" & <Co>", "</a><script>alert(3)</script>"),
        "categories": ("cs.CL", f"\"><svg onload=alert(1)>{SCRIPT}"),
        "arxiv_id": None,
        "doi": normalize_doi("10.1000/\"><svg/onload=alert(1)>"),  # the key becomes doi:<this>
        "abs_url": "https://example.org/abs?x=\"><script>alert(1)</script>",
        "code_url": "javascript:alert(1)",
        "project_url": " JaVaScRiPt:alert(document.cookie)",
        "pdf_url": "data:text/html,<script>alert(1)</script>",
    },
    "latex": {
        "title": r"Yak bounds $\frac{a}{b}$ and \(x<y\) with $<script>alert(1)</script>$",
        "abstract": r"We prove $x" + '" onmouseover="alert(1)$ and $$\\sum_{i<n} a_i > b$$ and '
                    r"\[</span><script>alert(1)</script><span>\] hold for $\alpha<\beta$, "
                    r"while a price of $5 and $6 stays text, as does \emph{emphasis} of <i>tags</i>.",
        "authors": (r"G{\"o}del, Kurt", r"$<script>alert(1)</script>$"),
        "arxiv_id": "2401.00002",
    },
    "rtl": {
        "title": f"Quokka نموذج لغوي كبير {RLO}exe.txt{PDF} עברית 🧪👩‍🔬🇮🇱🇸🇦 ze{ZERO_WIDTH}ro",
        "abstract": f"نقدم نموذجا {RLO}<script>alert(1)</script>{PDF} ומודל בעברית \u200f(RLM) "
                    "\u2067isolated\u2069 cafe\u0301 — emoji 👍🏽 and Ω≈ç√∫.",
        "authors": ("محمد عبد الله", f"{RLO}יוסי כהן", "😀 Emoji Person", f"Zero{ZERO_WIDTH}Width"),
        "arxiv_id": "2401.00003",
    },
    "huge": {
        "title": "Walrus: a megabyte abstract",
        # Markup, math and right-to-left text all through it, and a script at the very end.
        "abstract": ("Scaling $x^2$ with <b>bold</b> & \"quotes\" 'too' — نص עברית 🧪. " * 20_000)[:MEGABYTE]
                    + SCRIPT,
        "authors": tuple(f"Author {n} <i>{n}</i>" for n in range(12)),  # more than a card shows (8)
        "arxiv_id": "2401.00004",
    },
}
MARKERS = {"html": "zebra", "latex": "yak", "rtl": "quokka", "huge": "walrus"}  # one word to search for each


def as_ingested(raw: dict) -> dict:
    """store_paper's overrides with the text as ingest's normalizer leaves it."""
    return {**raw, "title": clean_text(raw["title"]), "abstract": clean_text(raw["abstract"]),
            "authors": tuple(normalize_author(a) for a in raw["authors"]), "announced_on": DAY,
            "published_on": DAY, "source": "arxiv-api", "categories": raw.get("categories", ("cs.CL", "cs.LG"))}


PAPERS = {name: as_ingested(raw) for name, raw in RAW_PAPERS.items()}


@pytest.fixture(scope="module")
def site(tmp_path_factory, models_dir):
    """(client, stored papers by name): the real app over SQLite with a real search index, the
    hostile papers all announced and featured (with upvotes, so trending) on DAY."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    with sqlite_engine(tmp_path) as engine:
        ids = {name: store_paper(engine, **fields) for name, fields in PAPERS.items()}
        with engine.begin() as conn:
            upsert_listings(conn, [Listing(paper_id=paper_id, day=DAY, source="hf-daily", submitted_by=SUBMITTER,
                                           upvotes=n + 1) for n, paper_id in enumerate(ids.values())])
            stored = {name: get_paper(conn, _key(fields)) for name, fields in PAPERS.items()}
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", models_dir=models_dir,
                            database_url=str(engine.url))
        app = build_app(engine, tmp_path, search=indexed_search(engine, settings), models_dir=models_dir)
        with visit(app) as visitor:
            yield visitor.client, stored


def _key(fields: dict) -> str:
    return fields["arxiv_id"] or f"doi:{fields['doi']}"


@pytest.fixture(scope="module")
def client(site):
    return site[0]


@pytest.fixture(scope="module")
def stored(site):
    return site[1]


# --- what a safe page looks like -------------------------------------------------------------

# Tags the hostile text holds, none of which the templates make.
INJECTED_TAGS = {"img", "svg", "iframe", "b", "i", "textarea", "style", "object", "embed"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data")


def parse(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
    return lxml.html.document_fromstring(response.content, parser=parser)


def assert_safe(doc: lxml.html.HtmlElement) -> None:
    """Only the site's own markup: its scripts, no event handlers, no injected tags or schemes."""
    for script in doc.iter("script"):
        assert script.get("src", "").startswith("/static/") and not (script.text or "").strip(), \
            lxml.html.tostring(script)[:200]
    injected = [el.tag for el in doc.iter() if isinstance(el.tag, str) and el.tag in INJECTED_TAGS]
    assert not injected
    handlers = [(el.tag, name) for el in doc.iter() if isinstance(el.tag, str)
                for name in el.attrib if name.lower().startswith("on")]
    assert not handlers
    for el in doc.iter():
        for name in URL_ATTRIBUTES:
            value = "".join((el.get(name) or "").split()).lower() if isinstance(el.tag, str) else ""
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (el.tag, name, el.get(name))
    assert len(doc.findall(".//title")) == 1


def page(client, url: str) -> lxml.html.HtmlElement:
    doc = parse(client.get(url))
    assert_safe(doc)
    return doc


def only(elements: list) -> lxml.html.HtmlElement:
    assert len(elements) == 1, elements
    return elements[0]


def cards_of(doc, paper) -> list:
    return doc.xpath("//article[contains(@class, 'paper-card')][@data-key=$key]", key=paper.key)


def card_abstract(text: str) -> str:
    """The abstract as a card shows it: the template's truncate(600)."""
    return jinja2.Environment().from_string("{{ text | truncate(600) }}").render(text=text)


def assert_card_intact(card, paper, *, abstract_shown: bool = False) -> None:
    title = only(card.xpath(".//*[contains(@class, 'paper-title')]"))
    assert title.text_content() == paper.title
    assert only(title.xpath(".//a")).get("href") == paper_path(paper.key)
    names = [a.text_content() for a in card.xpath(".//*[contains(@class, 'paper-authors')]/a")]
    assert names == paper.authors[:8]
    assert [a.get("href") for a in card.xpath(".//*[contains(@class, 'paper-authors')]/a")] == \
        [author_path(name) for name in paper.authors[:8]]
    if abstract_shown:
        abstract = only(card.xpath(".//*[contains(@class, 'paper-abstract')]"))
        assert abstract.text_content() == card_abstract(paper.abstract)


# --- the normalizer leaves hostile text alone, so the pages must cope -------------------------

@pytest.mark.parametrize("text", [SCRIPT, IMG, SVG, SUBMITTER, RAW_PAPERS["html"]["title"],
                                  RAW_PAPERS["latex"]["title"], RAW_PAPERS["rtl"]["title"]])
def test_ingest_keeps_markup_and_scripts_as_text(text):
    assert clean_text(text) == text


def test_ingest_only_composes_accents_and_turns_text_mode_latex_into_unicode():
    assert PAPERS["rtl"]["abstract"] == unicodedata.normalize("NFC", RAW_PAPERS["rtl"]["abstract"])
    assert "café" in PAPERS["rtl"]["abstract"] and RLO in PAPERS["rtl"]["abstract"]
    assert PAPERS["latex"]["authors"] == ("Kurt Gödel", r"$<script>alert(1)</script>$")
    assert r"\emph{emphasis}" not in PAPERS["latex"]["abstract"] and "emphasis of <i>tags</i>" in \
        PAPERS["latex"]["abstract"]
    assert len(PAPERS["huge"]["abstract"]) == MEGABYTE + len(SCRIPT)


def test_the_store_keeps_the_text_as_given(stored):
    for name, fields in PAPERS.items():
        paper = stored[name]
        assert (paper.title, paper.abstract, tuple(paper.authors)) == \
            (fields["title"], fields["abstract"], fields["authors"])


# --- the pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(PAPERS))
def test_the_paper_page_shows_the_text_escaped_and_whole(client, stored, name):
    paper = stored[name]
    doc = page(client, paper_path(paper.key))

    assert only(doc.xpath("//h1[@id='paper-title']")).text_content() == paper.title
    article = only(doc.xpath("//article[contains(@class, 'paper-page')]"))
    assert article.get("data-key") == paper.key
    abstract = only(article.xpath(".//p[contains(@class, 'paper-abstract')]"))
    assert abstract.text_content() == paper.abstract  # whole, even the megabyte
    header = only(article.xpath("./header/*[contains(@class, 'paper-authors')]"))
    assert [a.text_content() for a in header.xpath("./a")] == paper.authors
    if len(paper.title) <= 120:
        assert doc.findtext(".//title") == f"{paper.title} · paperfeed"
    json_link = only(doc.xpath("//link[@rel='alternate'][@type='application/json']")).get("href")
    assert client.get(json_link).json()["paper"]["key"] == paper.key


@pytest.mark.parametrize(("path", "query", "link"), [
    ("/authors/50%ab 100% sure", b"", "/authors/50%25ab%20100%25%20sure.json"),
    ("/papers/doi:10.1000/a?b#c", b"x=%22", "/papers/doi:10.1000/a%3Fb%23c.json?x=%22"),
    ("/papers/doi:10.1000/\"><svg/onload=alert(1)>", b"",
     "/papers/doi:10.1000/%22%3E%3Csvg/onload%3Dalert%281%29%3E.json"),
    ("/", b"date=2024-03-05", "/.json?date=2024-03-05"),
])
def test_the_json_link_quotes_the_path_again(path, query, link):
    request = Request({"type": "http", "path": path, "query_string": query, "headers": [(b"host", b"testserver")]})

    assert json_url(request) == link


def test_links_from_hostile_urls_are_dropped_or_escaped(client, stored):
    paper = stored["html"]
    doc = page(client, paper_path(paper.key))

    hrefs = [a.get("href") for a in doc.xpath("//*[contains(@class, 'paper-links')]//a")]
    assert hrefs == [RAW_PAPERS["html"]["abs_url"]]  # javascript:, data: and the padded one are gone
    assert only(doc.xpath("//a[starts-with(@href, 'https://doi.org/')]")).get("href") == \
        f"https://doi.org/{paper.doi}"
    categories = [a.text_content() for a in doc.xpath("//*[contains(@class, 'paper-details')]//a[@class='category']")]
    assert categories == paper.categories


LIST_PAGES = ["/", f"/papers/daily?date={DAY}", "/papers/daily?week=2024-W10", "/papers/daily?month=2024-03",
              "/categories/cs.CL", "/trending?window=week"]


@pytest.mark.parametrize("url", LIST_PAGES)
def test_list_pages_show_every_hostile_card_escaped(client, stored, url):
    doc = page(client, url)

    for paper in stored.values():
        cards = cards_of(doc, paper)
        assert cards, f"{paper.key} missing from {url}"
        for card in cards:
            assert_card_intact(card, paper)
        if paper.authors[8:]:
            assert f"and {len(paper.authors) - 8} more" in cards[0].text_content()


def test_the_submitter_is_text(client, stored):
    doc = page(client, f"/papers/daily?date={DAY}")

    submitted = doc.xpath("//*[@id='featured']//span[contains(@class, 'submitted-by')]")
    assert len(submitted) == len(stored)
    assert {span.text_content() for span in submitted} == {f"submitted by {SUBMITTER}"}


@pytest.mark.parametrize("name", list(PAPERS))
def test_search_results_show_the_text_escaped_with_marks(client, stored, name):
    paper = stored[name]
    doc = page(client, f"/search?q={MARKERS[name]}")

    card = only(cards_of(doc, paper))
    assert_card_intact(card, paper, abstract_shown=True)
    marks = [mark.text_content().casefold() for mark in card.xpath(".//*[contains(@class, 'paper-title')]//mark")]
    assert marks == [MARKERS[name]]


def test_a_megabyte_abstract_is_cut_on_cards_and_whole_on_its_page(client, stored):
    paper = stored["huge"]
    card = only(cards_of(page(client, "/search?q=walrus"), paper))
    shown = only(card.xpath(".//*[contains(@class, 'paper-abstract')]")).text_content()

    assert len(shown) <= 600 and shown.endswith("...") and paper.abstract.startswith(shown[:-3])
    whole = only(page(client, paper_path(paper.key)).xpath("//p[contains(@class, 'paper-abstract')]"))
    assert whole.text_content() == paper.abstract and whole.text_content().endswith(SCRIPT)


HOSTILE_QUERIES = [SCRIPT, IMG, SVG, "</title><script>alert(1)</script>", f"{RLO}zebra{PDF} שלום",
                   "zebra \" onfocus=\"alert(1)\" autofocus=\"", "zebra' onfocus='alert(1)", f"zebra {ZERO_WIDTH}"]


@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_a_hostile_query_is_escaped_wherever_the_search_page_repeats_it(client, q):
    response = client.get("/search", params={"q": q})
    if response.status_code == 400:  # no words left to search: an error page, which repeats nothing
        assert_safe(parse_error(response))
        return
    doc = parse(response)
    assert_safe(doc)

    assert only(doc.xpath("//input[@id='search-input']")).get("value") == q
    if len(q) <= 60:
        assert doc.findtext(".//title") == f"{q} · Search · paperfeed"
    json_link = only(doc.xpath("//link[@rel='alternate'][@type='application/json']")).get("href")
    assert parse_qs(urlsplit(json_link).query)["q"] == [q]


def parse_error(response) -> lxml.html.HtmlElement:
    assert 400 <= response.status_code < 500
    return lxml.html.document_fromstring(response.content, parser=lxml.html.HTMLParser(encoding="utf-8"))


@pytest.mark.parametrize(("url", "echoed"), [
    (paper_path(SCRIPT), f"no paper {SCRIPT!r}"),
    (author_path(IMG + "nobody"), f"no papers by {IMG + 'nobody'!r}"),
    (f"/search?similar={quote(SVG)}", f"no paper {SVG!r}"),
    (f"/papers/daily?week=2024-W99&x={quote(SVG)}", "week '2024-W99' is not a valid week"),
    (f"/search?q=zebra&since={quote(SCRIPT)}", "since"),
])
def test_error_pages_repeat_hostile_input_as_text(client, url, echoed):
    doc = parse_error(client.get(url))
    assert_safe(doc)

    assert echoed in only(doc.xpath("//*[contains(@class, 'error-page')]")).text_content()


@pytest.mark.parametrize(("name", "author"), [(name, author) for name, fields in PAPERS.items()
                                              for author in fields["authors"][:4]])
def test_author_pages_show_hostile_names_escaped(client, stored, name, author):
    paper = stored[name]
    doc = page(client, author_path(author))

    assert only(doc.xpath("//*[contains(@class, 'author-name')]")).text_content() == author
    assert only(doc.xpath("//section[contains(@class, 'author-papers')]")).get("aria-label") == f"Papers by {author}"
    assert_card_intact(only(cards_of(doc, paper)), paper)


def test_math_spans_carry_the_tex_escaped(client, stored):
    paper = stored["latex"]
    doc = page(client, paper_path(paper.key))

    for element, text in ((only(doc.xpath("//h1[@id='paper-title']")), paper.title),
                          (only(doc.xpath("//p[contains(@class, 'paper-abstract')]")), paper.abstract)):
        spans = element.xpath(".//span[contains(@class, 'math')]")
        expected = [segment for segment in split_math(text) if segment.is_math]
        assert [(s.get("data-tex"), s.text_content(), s.get("data-display") == "true") for s in spans] == \
            [(segment.tex, segment.text, segment.display) for segment in expected]
        assert all(len(span) == 0 for span in spans)  # the TeX is text, never child elements
    tex = {span.get("data-tex") for span in doc.xpath("//span[contains(@class, 'math')]")}
    assert {r"\frac{a}{b}", "x<y", SCRIPT, 'x" onmouseover="alert(1)', r"\sum_{i<n} a_i > b",
            f"</span>{SCRIPT}<span>", r"\alpha<\beta"} <= tex
    assert not any("5 and" in t for t in tex)  # prices stay text


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates


def isolating_selectors(css: str) -> list[str]:
    """The selectors of the stylesheet's rules that make an element its own bidi island."""
    selectors = []
    for block in re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL).split("}"):
        head, _, body = block.partition("{")
        if re.search(r"unicode-bidi:\s*(plaintext|isolate)", body):
            selectors += [selector.strip() for selector in head.split(",")]
    return selectors


def matches(element, selector: str) -> bool:
    """Enough of CSS for these rules: `.class` and `.class tag`."""
    def has_class(el, name):
        return name in (el.get("class") or "").split()

    first, *rest = selector.split()
    if not rest:
        return has_class(element, first.removeprefix("."))
    return element.tag == rest[0] and any(has_class(a, first.removeprefix(".")) for a in element.iterancestors())


def test_a_right_to_left_override_cannot_reorder_the_text_beside_it(client, stored):
    """An unclosed U+202E in one author's name would otherwise flip the names after it on screen."""
    selectors = isolating_selectors(client.get("/static/app.css").text)
    assert selectors
    paper = stored["rtl"]
    author = next(a for a in paper.authors if RLO in a)
    for url in (paper_path(paper.key), "/", "/search?q=quokka", author_path(author)):
        body = page(client, url).find("body")
        holders = [el for el in body.iter() if isinstance(el.tag, str) and BIDI_CONTROLS.search(el.text or "")]
        holders += [el.getparent() for el in body.iter() if isinstance(el.tag, str)
                    and BIDI_CONTROLS.search(el.tail or "")]
        assert holders, url
        for el in holders:
            chain = [el, *el.iterancestors()]
            assert any(matches(a, s) for a in chain for s in selectors), (url, el.tag, el.get("class"), el.text)


# --- JSON ---------------------------------------------------------------------------------------

def found_in(body, key: str) -> list[dict]:
    """Every paper object (the Paper model) and list item (card_json) for `key` anywhere in the body."""
    found = []
    if isinstance(body, dict):
        if body.get("key") == key or (isinstance(body.get("paper"), dict) and body["paper"].get("key") == key):
            found.append(body)
        for value in body.values():
            found += found_in(value, key)
    elif isinstance(body, list):
        for value in body:
            found += found_in(value, key)
    return found


def assert_json_intact(response, paper) -> None:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    items = found_in(response.json(), paper.key)
    assert items, f"{paper.key} missing"
    for item in items:
        inner = item.get("paper", item)
        assert (inner["title"], inner["summary"], [a["name"] for a in inner["authors"]]) == \
            (paper.title, paper.abstract, paper.authors)
        if "paper" in item:
            assert (item["title"], item["summary"]) == (paper.title, paper.abstract)
    for text in (paper.title, paper.abstract, *paper.authors):
        assert orjson.dumps(text) in response.content  # byte for byte: not re-escaped, not re-encoded


JSON_LISTS = ["/.json", f"/papers/daily.json?date={DAY}", "/categories/cs.CL.json", "/trending.json",
              f"/api/daily_papers?date={DAY}", "/api/trending?window=week"]


@pytest.mark.parametrize("url", JSON_LISTS)
def test_json_lists_return_the_text_byte_for_byte(client, stored, url):
    response = client.get(url)

    for paper in stored.values():
        assert_json_intact(response, paper)


@pytest.mark.parametrize("name", list(PAPERS))
def test_json_of_a_paper_search_and_author_returns_the_text_byte_for_byte(client, stored, name):
    paper = stored[name]
    for url in (paper_path(paper.key) + ".json", f"/api/papers/{paper_path(paper.key).removeprefix('/papers/')}",
                f"/search.json?q={MARKERS[name]}", f"/api/papers/search?q={MARKERS[name]}",
                author_path(paper.authors[0]) + ".json"):
        assert_json_intact(client.get(url), paper)


