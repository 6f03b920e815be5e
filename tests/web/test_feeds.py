"""The RSS 2.0 and Atom feeds through the real app, read back with a real XML parser: the same papers
as their pages in the same order, item fields, escaping, empty feeds, content types, the category
and search feeds, the feed links on the pages, and 4xx on bad input."""

from __future__ import annotations

import html
from datetime import date, timedelta
from email.utils import parsedate_to_datetime

import lxml.html
import pytest
from lxml import etree

from factories import feature, make_record, store_paper
from paperfeed.config import Settings
from paperfeed.db.papers import upsert_papers
from paperfeed.web.searcher import NO_INDEX
from web_client import build_app, indexed_search, sqlite_engine, visit

SITE = "https://papers.example.org"
DAY = date(2024, 5, 1)
NS = {"atom": "http://www.w3.org/2005/Atom", "dc": "http://purl.org/dc/elements/1.1/"}
RSS_TYPE, ATOM_TYPE = "application/rss+xml", "application/atom+xml"


@pytest.fixture
def site(tmp_path):
    # base_url with a trailing slash, as people write it: links must still have one slash.
    with sqlite_engine(tmp_path) as engine, \
            visit(build_app(engine, tmp_path, base_url=SITE + "/", categories=["cs.CL"])) as visitor:
        yield engine, visitor.client


def parse(response) -> etree._Element:
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content)  # a real XML parser: malformed output raises here


def rss_items(response) -> list[dict]:
    root = parse(response)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return [{
        "title": item.findtext("title"), "link": item.findtext("link"), "guid": item.findtext("guid"),
        "description": item.findtext("description"), "pubDate": item.findtext("pubDate"),
        "authors": item.xpath("dc:creator/text()", namespaces=NS), "categories": item.xpath("category/text()"),
    } for item in root.iterfind("channel/item")]


def atom_entries(response) -> list[dict]:
    root = parse(response)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return [{
        "title": entry.findtext("atom:title", namespaces=NS), "link": entry.find("atom:link", NS).get("href"),
        "id": entry.findtext("atom:id", namespaces=NS), "summary": entry.findtext("atom:summary", namespaces=NS),
        "summary_type": entry.find("atom:summary", NS).get("type"),
        "published": entry.findtext("atom:published", namespaces=NS),
        "authors": entry.xpath("atom:author/atom:name/text()", namespaces=NS),
        "categories": entry.xpath("atom:category/@term", namespaces=NS),
    } for entry in root.iterfind("atom:entry", NS)]


def page_urls(items: list[dict]) -> list[str]:
    """The absolute paper links a page's JSON list stands for."""
    return [SITE + item["paper"]["url"] for item in items]


# --- items ----------------------------------------------------------------------------------------------

def test_daily_rss_holds_featured_by_upvotes_then_new_on_arxiv_with_every_field(site):
    engine, client = site
    low, high = store_paper(engine, 1, authors=("Ada Lovelace", "Charles Babbage"), categories=("cs.CL", "cs.LG")), \
        store_paper(engine, 2)
    feature(engine, low, DAY, 3)
    feature(engine, high, DAY, 8)
    store_paper(engine, 3, announced_on=DAY, categories=("cs.CL",))  # new on arXiv in cs.CL, not featured
    store_paper(engine, 4, announced_on=DAY, categories=("math.AG",))  # not followed

    response = client.get(f"/feeds/daily.rss?date={DAY}")
    items = rss_items(response)
    page = client.get(f"/papers/daily.json?date={DAY}").json()

    assert response.headers["content-type"].startswith(RSS_TYPE)
    assert [i["link"] for i in items] == page_urls(page["featured"]) + page_urls(page["newOnArxiv"])
    assert [i["link"] for i in items] == [f"{SITE}/papers/2405.0000{n}" for n in (2, 1, 3)]
    ada = items[1]
    assert (ada["title"], ada["guid"]) == ("Paper number 1", f"{SITE}/papers/2405.00001")
    assert ada["authors"] == ["Ada Lovelace", "Charles Babbage"] and ada["categories"] == ["cs.CL", "cs.LG"]
    assert ada["description"] == make_record().abstract
    assert parsedate_to_datetime(items[2]["pubDate"]).date() == DAY
    channel = parse(response).find("channel")
    assert channel.findtext("link") == f"{SITE}/papers/daily?date={DAY}"
    assert channel.find("atom:link", NS).get("href") == f"{SITE}/feeds/daily.rss?date={DAY}"
    assert "Wednesday, May 1, 2024" in channel.findtext("title")


def test_daily_atom_has_the_same_entries_and_follows_the_latest_day_by_default(site):
    engine, client = site
    feature(engine, store_paper(engine, 1, authors=("Ada Lovelace",)), DAY - timedelta(days=1), 5)
    feature(engine, store_paper(engine, 2), DAY, 1)
    feature(engine, store_paper(engine, 3), DAY, 2)

    response = client.get("/feeds/daily.atom")
    entries = atom_entries(response)
    root = parse(response)

    assert response.headers["content-type"].startswith(ATOM_TYPE)
    assert [e["link"] for e in entries] == [f"{SITE}/papers/2405.00003", f"{SITE}/papers/2405.00002"]
    assert [e["id"] for e in entries] == [e["link"] for e in entries]
    assert entries[0]["summary"] == make_record().abstract and entries[0]["summary_type"] == "text"
    assert entries[0]["authors"] == ["Ashish Vaswani", "Noam Shazeer"]
    assert root.findtext("atom:id", namespaces=NS) == f"{SITE}/feeds/daily.atom"
    assert root.xpath("atom:link[@rel='alternate']/@href", namespaces=NS) == [f"{SITE}/"]
    yesterday = atom_entries(client.get(f"/feeds/daily.atom?date={DAY - timedelta(days=1)}"))
    assert [(e["link"], e["authors"]) for e in yesterday] == [(f"{SITE}/papers/2405.00001", ["Ada Lovelace"])]


def test_week_and_month_feeds_hold_the_periods_papers(site):
    engine, client = site
    feature(engine, store_paper(engine, 1), date(2024, 4, 29), 1)
    feature(engine, store_paper(engine, 2), date(2024, 5, 6), 2)

    week = rss_items(client.get("/feeds/daily.rss?week=2024-W18"))
    month = atom_entries(client.get("/feeds/daily.atom?month=2024-05"))

    assert [i["link"] for i in week] == [f"{SITE}/papers/2405.00001"]
    assert [e["link"] for e in month] == [f"{SITE}/papers/2405.00002"]


@pytest.mark.parametrize(("feed", "page", "field"), [
    ("/feeds/trending.rss?window=week", "/trending.json?window=week", "papers"),
    ("/feeds/trending.atom?window=month", "/trending.json?window=month", "papers"),
    ("/feeds/categories/cs.CL.rss", "/categories/cs.CL.json", "papers"),
    ("/feeds/categories/cs.LG.atom", "/categories/cs.LG.json", "papers"),
])
def test_trending_and_category_feeds_hold_their_pages_papers_in_order(site, feed, page, field):
    engine, client = site
    for n, (day, upvotes) in enumerate([(date(2024, 5, 1), 5), (date(2024, 5, 2), 9), (date(2024, 4, 12), 40),
                                        (date(2024, 4, 30), 1)], start=1):
        categories = ("cs.CL", "cs.LG") if n % 2 else ("cs.CL",)
        feature(engine, store_paper(engine, n, categories=categories, announced_on=day), day, upvotes)

    shown = client.get(page).json()[field]
    found = rss_items(client.get(feed)) if feed.split("?")[0].endswith(".rss") else atom_entries(client.get(feed))

    assert len(shown) >= 2
    assert [item["link"] for item in found] == page_urls(shown)


# --- escaping -------------------------------------------------------------------------------------------

TITLE = 'A <b>bold</b> "claim" & <img src=x onerror=alert(1)>'
ABSTRACT = "We show <script>alert('x')</script> that a < b && c > d, with $x<y$."


def test_html_in_titles_and_abstracts_is_text_in_both_formats(site):
    engine, client = site
    feature(engine, store_paper(engine, 1, title=TITLE, abstract=ABSTRACT), DAY, 1)

    rss = client.get(f"/feeds/daily.rss?date={DAY}")
    atom = client.get(f"/feeds/daily.atom?date={DAY}")
    (item,), (entry,) = rss_items(rss), atom_entries(atom)

    assert (item["title"], entry["title"], entry["summary"]) == (TITLE, TITLE, ABSTRACT)
    # Readers render an RSS description as HTML: it holds escaped HTML, which shows as the text.
    assert item["description"] == html.escape(ABSTRACT)
    shown = lxml.html.fragment_fromstring(item["description"], create_parent="div")
    assert shown.text_content() == ABSTRACT and not shown.xpath("//script | //img | //b")
    for body in (rss.content, atom.content):
        assert b"<script" not in body and b"<b>" not in body and b"<img" not in body


def test_characters_xml_cannot_hold_are_dropped_not_a_broken_feed(site):
    engine, client = site
    # Ingest strips these; a paper stored another way must still not break the feed.
    feature(engine, store_paper(engine, 1, title="Form\x0cfeed", abstract="bell\x07 and\x00 null"), DAY, 1)

    (item,) = rss_items(client.get(f"/feeds/daily.rss?date={DAY}"))
    (entry,) = atom_entries(client.get(f"/feeds/daily.atom?date={DAY}"))

    assert (item["title"], item["description"]) == ("Formfeed", "bell and null")
    assert (entry["title"], entry["summary"]) == ("Formfeed", "bell and null")


# --- empty feeds, content types, links from the pages -------------------------------------------------------------

@pytest.mark.parametrize("path", [
    f"/feeds/daily.rss?date={DAY}", f"/feeds/daily.atom?date={DAY}", "/feeds/daily.rss", "/feeds/trending.atom",
    "/feeds/trending.rss?window=day", "/feeds/categories/cs.CL.rss", "/feeds/categories/cs.CL.atom",
])
def test_an_empty_list_is_a_valid_empty_feed(site, path):
    _, client = site
    response = client.get(path)
    root = parse(response)

    if path.split("?")[0].endswith(".rss"):
        assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
        assert root.find("channel/title").text and root.findall("channel/item") == []
    else:
        assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert root.findtext("atom:title", namespaces=NS) and root.findall("atom:entry", NS) == []
        assert root.findtext("atom:updated", namespaces=NS)


def test_every_feed_a_page_links_to_answers(site):
    engine, client = site
    feature(engine, store_paper(engine, 1, announced_on=DAY, categories=("cs.CL",)), DAY, 1)
    pages = ["/", f"/papers/daily?date={DAY}", "/trending?window=month", "/categories/cs.CL"]

    hrefs = {}
    for page in pages:
        for link in lxml.html.fromstring(client.get(page).text).xpath('//link[@rel="alternate"]'):
            if link.get("type") in (RSS_TYPE, ATOM_TYPE):
                hrefs[link.get("href")] = link.get("type")

    assert {"/feeds/daily.rss", "/feeds/daily.atom", "/feeds/trending.rss?window=month",
            "/feeds/categories/cs.CL.atom"} <= set(hrefs)
    for href, media_type in hrefs.items():
        response = client.get(href)
        assert response.headers["content-type"].startswith(media_type)
        items = rss_items(response) if media_type == RSS_TYPE else atom_entries(response)
        assert [i["link"] for i in items] == [f"{SITE}/papers/2405.00001"], href


# --- bad input --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "status"), [
    ("/feeds/daily.rss?date=2024-02-30", 422),
    ("/feeds/daily.atom?week=2024-W99", 400),
    ("/feeds/daily.rss?month=2024-5", 422),
    ("/feeds/daily.rss?date=2024-05-01&month=2024-05", 400),
    ("/feeds/daily.xml", 422),
    ("/feeds/trending.rss?window=year", 422),
    ("/feeds/categories/cs%20CL.rss", 422),
    ("/feeds/categories/nope.nope.atom", 404),  # not followed and no papers: as the category page
    ("/feeds/search.rss?q=x&since=2024-02-01&until=2024-01-01", 400),
    ("/feeds/search.rss?sort=newest", 422),
])
def test_bad_parameters_are_4xx(site, path, status):
    _, client = site
    response = client.get(path)
    assert response.status_code == status, response.text
    assert not response.headers["content-type"].startswith((RSS_TYPE, ATOM_TYPE))


def test_search_feed_without_an_index_is_a_503_json_error(site):
    _, client = site
    response = client.get("/feeds/search.rss?q=attention")
    assert response.status_code == 503
    assert response.json() == {"error": {"status": 503, "message": NO_INDEX}}
    assert response.headers["X-Error-Message"] == NO_INDEX  # as every API error carries it


# --- search feeds (one real index for the module) -------------------------------------------------------------------

@pytest.fixture(scope="module")
def searchable(tmp_path_factory, models_dir):
    tmp = tmp_path_factory.mktemp("search-feeds")
    with sqlite_engine(tmp) as engine:
        records = [make_record(arxiv_id=f"2502.{i:05d}", title=f"Camera calibration study number {i}",
                               abstract="Geometric calibration of cameras with <checkerboard> patterns.",
                               categories=("cs.CV",) if i % 3 else ("cs.RO", "cs.CV"),
                               authors=(f"Vision Person {i}",), announced_on=date(2025, 2, 1) + timedelta(days=i))
                   for i in range(24)]
        records.append(make_record(arxiv_id="2501.00001", title="Speech recognition with transformers",
                                   categories=("cs.CL",), announced_on=date(2025, 1, 1)))
        with engine.begin() as conn:
            upsert_papers(conn, records)
        settings = Settings(_env_file=None, data_dir=tmp / "data", models_dir=models_dir,
                            database_url=f"sqlite:///{tmp / 'web.db'}")
        service = indexed_search(engine, settings)
        app = build_app(engine, tmp, search=service, models_dir=models_dir, base_url=SITE)
        with visit(app) as visitor:
            yield visitor.client


@pytest.mark.parametrize("query", [
    "q=calibration",
    "q=calibration&sort=date",
    "q=cameras&category=cs.RO",
    "q=calibration&since=2025-02-10&until=2025-02-15&sort=date",
    "category=cs.RO&sort=date",  # filters alone
])
def test_search_feeds_hold_the_search_pages_results(searchable, query):
    page = searchable.get(f"/search.json?{query}").json()["results"]
    rss = rss_items(searchable.get(f"/feeds/search.rss?{query}"))
    atom = atom_entries(searchable.get(f"/feeds/search.atom?{query}"))

    assert page and [i["link"] for i in rss] == page_urls(page) == [e["link"] for e in atom]
    if "category=cs.RO" in query:
        assert all("cs.RO" in item["categories"] for item in rss)
    if "since" in query:
        assert {e["published"][:10] for e in atom} <= {f"2025-02-{d}" for d in range(10, 16)}
    abstract = "Geometric calibration of cameras with <checkerboard> patterns."
    assert all(i["description"] == html.escape(abstract) for i in rss if i["title"].startswith("Camera"))


def test_the_search_pages_feed_link_carries_its_filters(searchable):
    page = searchable.get("/search?q=cameras&category=cs.RO&sort=date")
    (href,) = lxml.html.fromstring(page.text).xpath(f'//link[@type="{RSS_TYPE}"]/@href')
    shown = searchable.get("/search.json?q=cameras&category=cs.RO&sort=date").json()["results"]

    assert href.startswith("/feeds/search.rss?") and "category=cs.RO" in href and "sort=date" in href
    assert [i["link"] for i in rss_items(searchable.get(href))] == page_urls(shown)
    assert searchable.get("/search?similar=2502.00001").text.count("/feeds/search") == 0


def test_an_empty_search_is_an_empty_feed(searchable):
    assert rss_items(searchable.get("/feeds/search.rss")) == []
    assert atom_entries(searchable.get("/feeds/search.atom?q=")) == []
