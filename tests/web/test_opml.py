"""/feeds.opml through the real app: an OPML 2.0 file a feed reader imports, listing the daily list, trending
and each followed category, with absolute URLs that answer as real feeds; names are escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from lxml import etree

from factories import store_paper
from paperfeed.web.routes.opml import FeedFolder, FeedOutline, render_opml
from web_client import build_app, sqlite_engine, visit

SITE = "https://papers.example.org"


@pytest.fixture
def client(tmp_path):
    with sqlite_engine(tmp_path) as engine, \
            visit(build_app(engine, tmp_path, base_url=SITE + "/", categories=["cs.CL", "math.AG", "cs.CL"])) as v:
        store_paper(engine, arxiv_id="2405.00001", title="A paper", categories=("cs.CL",))
        yield v.client


def _feeds(document: etree._Element) -> list[etree._Element]:
    return document.findall(".//outline[@xmlUrl]")


def test_the_opml_lists_daily_trending_and_each_followed_category_once(client):
    response = client.get("/feeds.opml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-opml")
    document = etree.fromstring(response.content)
    assert document.tag == "opml" and document.get("version") == "2.0"
    assert document.findtext("head/title") == "paperfeed feeds"
    top = document.find("body").findall("outline")
    assert [o.get("text") for o in top] == ["Daily papers", "Trending papers · past week", "Categories"]
    folder = top[2]
    assert folder.get("xmlUrl") is None  # a folder, not a feed
    assert [o.get("xmlUrl") for o in folder] == [f"{SITE}/feeds/categories/cs.CL.rss",
                                                 f"{SITE}/feeds/categories/math.AG.rss"]
    assert all(o.get("type") == "rss" and o.get("htmlUrl").startswith(SITE + "/") for o in _feeds(document))


def test_every_feed_the_opml_names_answers_as_rss_and_its_page_exists(client):
    document = etree.fromstring(client.get("/feeds.opml").content)
    for outline in _feeds(document):
        feed, page = urlsplit(outline.get("xmlUrl")), urlsplit(outline.get("htmlUrl"))
        answer = client.get(feed.path + (f"?{feed.query}" if feed.query else ""))
        assert answer.status_code == 200, outline.get("xmlUrl")
        assert etree.fromstring(answer.content).tag == "rss"
        assert client.get(page.path + (f"?{page.query}" if page.query else "")).status_code == 200


def test_without_followed_categories_there_is_no_empty_folder(tmp_path):
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path, categories=[])) as v:
        document = etree.fromstring(v.client.get("/feeds.opml").content)
    assert [o.get("text") for o in document.find("body")] == ["Daily papers", "Trending papers · past week"]


def test_titles_and_urls_are_escaped_not_injected():
    hostile = FeedOutline('Say "hi" <b>&</b>', "/feeds/x.rss?a=1&b=2", "/x")
    document = render_opml("t<i>", [FeedFolder("<folder>", [hostile])], "https://s.example", datetime.now(UTC))
    parsed = etree.fromstring(document)
    outline = parsed.find("body/outline/outline")
    assert outline.get("text") == 'Say "hi" <b>&</b>'
    assert outline.get("xmlUrl") == "https://s.example/feeds/x.rss?a=1&b=2"
    assert parsed.findtext("head/title") == "t<i>"


def test_the_site_footer_links_the_opml(client):
    assert 'href="/feeds.opml"' in client.get("/").text
