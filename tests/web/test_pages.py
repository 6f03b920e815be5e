"""The pages and the JSON API through the real app: the daily feed (day, week, month, new on arXiv,
paging), trending, papers by id, search (filters, marked matches, pages, similar), author and
category pages, 404s, `.json` on every page; and the periods as one pure table."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from urllib.parse import urlsplit

import lxml.html
import pytest

from factories import feature, make_record, store_paper
from paperfeed.config import Settings
from paperfeed.db.library import save_paper
from paperfeed.db.listings import upsert_listings
from paperfeed.db.papers import upsert_papers
from paperfeed.db.ratings import rate_paper
from paperfeed.db.votes import cast_vote, create_user
from paperfeed.errors import InvalidInput
from paperfeed.models import Listing
from paperfeed.web.periods import Period, day_period, month_period, parse_period, week_period
from paperfeed.web.searcher import NO_INDEX
from web_client import build_app, indexed_search, sqlite_engine, visit

DAY = date(2024, 5, 1)  # a Wednesday in ISO week 2024-W18 (Apr 29 - May 5)
FOLLOWED = ["cs.CL", "cs.LG"]
_voters = itertools.count()


@pytest.fixture
def site(tmp_path):
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path, categories=FOLLOWED)) as visitor:
        yield engine, visitor.client


def vote(engine, paper_id: int, times: int) -> None:
    with engine.begin() as conn:
        for _ in range(times):
            cast_vote(conn, create_user(conn, f"voter{next(_voters)}@example.org"), paper_id)


def ids(items: list[dict]) -> list[str]:
    return [item["paper"]["id"] for item in items]


def card_keys(html: str, section: str) -> list[str]:
    """The paper keys shown in one section of a page, top to bottom."""
    return lxml.html.fromstring(html).xpath(f'//*[@id="{section}"]//article[@class="paper-card"]/@data-key')


def links(html: str, css_class: str) -> list[str]:
    return lxml.html.fromstring(html).xpath(f'//a[contains(concat(" ", @class, " "), " {css_class} ")]/@href')


# --- periods (pure) ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "week", "month", "kind", "start", "end"), [
    ("2024-05-01", None, None, "day", date(2024, 5, 1), date(2024, 5, 1)),
    (None, "2024-W18", None, "week", date(2024, 4, 29), date(2024, 5, 5)),
    (None, "2021-W01", None, "week", date(2021, 1, 4), date(2021, 1, 10)),  # ISO week 1 starts in January
    (None, "2020-W53", None, "week", date(2020, 12, 28), date(2021, 1, 3)),  # and a week can span two years
    (None, None, "2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
    (None, None, "2023-02", "month", date(2023, 2, 1), date(2023, 2, 28)),
    (None, None, "2024-12", "month", date(2024, 12, 1), date(2024, 12, 31)),
    (None, None, None, "day", date(2030, 1, 2), date(2030, 1, 2)),  # nothing given: the default day
])
def test_parse_period(day, week, month, kind, start, end):
    assert parse_period(day, week, month, date(2030, 1, 2)) == Period(kind, start, end)


@pytest.mark.parametrize(("period", "previous", "next_"), [
    (day_period(date(2024, 3, 1)), day_period(date(2024, 2, 29)), day_period(date(2024, 3, 2))),
    (day_period(date(2024, 12, 31)), day_period(date(2024, 12, 30)), day_period(date(2025, 1, 1))),
    (week_period(date(2020, 12, 31)), week_period(date(2020, 12, 21)), week_period(date(2021, 1, 4))),
    (month_period(date(2024, 12, 15)), month_period(date(2024, 11, 1)), month_period(date(2025, 1, 1))),
    (month_period(date(2024, 3, 31)), month_period(date(2024, 2, 29)), month_period(date(2024, 4, 1))),
    (day_period(date.min), None, day_period(date(1, 1, 2))),  # the ends of the calendar have no neighbour
    (month_period(date.max), month_period(date(9999, 11, 1)), None),
    (week_period(date.max), week_period(date(9999, 12, 20)), None),
])
def test_previous_and_next(period, previous, next_):
    assert (period.previous(), period.next()) == (previous, next_)


@pytest.mark.parametrize(("period", "param", "label"), [
    (day_period(date(2024, 5, 1)), ("date", "2024-05-01"), "Wednesday, May 1, 2024"),
    (week_period(date(2021, 1, 1)), ("week", "2020-W53"), "Week 53 of 2020 (Dec 28 – Jan 3, 2021)"),
    (month_period(date(2024, 2, 10)), ("month", "2024-02"), "February 2024"),
])
def test_period_param_and_label(period, param, label):
    assert (period.param, period.label) == (param, label)
    assert parse_period(*[param[1] if name == param[0] else None for name in ("date", "week", "month")],
                        date(2000, 1, 1)) == period


def test_weeks_start_on_monday_and_the_last_week_stops_at_the_end_of_the_calendar():
    assert {week_period(DAY - timedelta(days=DAY.weekday()) + timedelta(days=i)) for i in range(7)} == {
        Period("week", date(2024, 4, 29), date(2024, 5, 5))}
    assert week_period(date.max) == Period("week", date(9999, 12, 27), date.max)


@pytest.mark.parametrize(("day", "week", "month", "message"), [
    ("2024-02-30", None, None, "date '2024-02-30' is not a valid date: expected YYYY-MM-DD"),
    ("20240501", None, None, "date '20240501' is not a valid date: expected YYYY-MM-DD"),
    (None, "2021-W53", None, "week '2021-W53' is not a valid week: expected YYYY-Www, e.g. 2026-W47"),
    (None, "2024-W00", None, "week '2024-W00' is not a valid week"),
    (None, "2024-18", None, "week '2024-18' is not a valid week"),
    (None, None, "2024-13", "month '2024-13' is not a valid month: expected YYYY-MM"),
    (None, None, "0000-01", "month '0000-01' is not a valid month"),
    (None, None, "x" * 100, "month '" + "x" * 40 + "' is not a valid month"),  # long input is cut
    ("2024-05-01", "2024-W18", None, "give one of date, week or month, not date and week"),
    ("2024-05-01", "2024-W18", "2024-05", "not date and week and month"),
])
def test_bad_periods_say_what_is_expected(day, week, month, message):
    with pytest.raises(InvalidInput) as error:
        parse_period(day, week, month, DAY)
    assert message in str(error.value)


# --- the daily feed ------------------------------------------------------------------------------------

def test_a_day_orders_featured_papers_by_imported_plus_local_upvotes(site):
    engine, client = site
    a, b, c = store_paper(engine, 1), store_paper(engine, 2), store_paper(engine, 3)
    feature(engine, a, DAY, upvotes=5)
    feature(engine, b, DAY, upvotes=12)
    feature(engine, c, DAY, upvotes=10)
    vote(engine, c, 3)  # 10 imported + 3 local = 13: above b
    feature(engine, store_paper(engine, 4), DAY + timedelta(days=1), upvotes=99)  # another day

    page = client.get("/papers/daily.json", params={"date": DAY.isoformat()}).json()
    api = client.get("/api/daily_papers", params={"date": DAY.isoformat()})
    html = client.get("/papers/daily", params={"date": DAY.isoformat()}).text

    assert ids(page["featured"]) == ["2405.00003", "2405.00002", "2405.00001"]
    assert [item["upvotes"] for item in page["featured"]] == [13, 12, 5]
    assert page["featuredTotal"] == 3 and page["period"]["date"] == "2024-05-01"
    assert ids(api.json()) == ids(page["featured"]) and api.headers["x-total-count"] == "3"
    assert card_keys(html, "featured") == ids(page["featured"])
    assert "Wednesday, May 1, 2024" in html


def test_the_next_link_stops_at_the_last_day_with_papers(site):
    engine, client = site
    today = date.today()
    feature(engine, store_paper(engine, 1), today, upvotes=1)
    ahead = today + timedelta(days=3)  # listed ahead of UTC's today (a time zone, or a clock)
    feature(engine, store_paper(engine, 2), ahead, upvotes=1)

    assert client.get(f"/papers/daily.json?date={ahead}").json()["links"]["next"] is None
    assert client.get(f"/papers/daily.json?date={ahead - timedelta(days=1)}").json()["links"]["next"] == (
        f"/papers/daily?date={ahead}")
    assert client.get(f"/papers/daily.json?month={ahead:%Y-%m}").json()["links"]["next"] is None
    assert links(client.get(f"/papers/daily?date={ahead}").text, "period-next") == []


def test_week_and_month_views_hold_their_days_and_link_their_neighbours(site):
    engine, client = site
    monday, sunday, next_monday, april = [store_paper(engine, n) for n in range(1, 5)]
    feature(engine, monday, date(2024, 4, 29), upvotes=1)
    feature(engine, sunday, date(2024, 5, 5), upvotes=2)
    feature(engine, next_monday, date(2024, 5, 6), upvotes=3)
    feature(engine, april, date(2024, 4, 2), upvotes=4)

    week = client.get("/papers/daily.json?week=2024-W18").json()
    month = client.get("/papers/daily.json?month=2024-05").json()
    html = client.get("/papers/daily?week=2024-W18").text

    assert ids(week["featured"]) == ["2405.00002", "2405.00001"]
    assert ids(month["featured"]) == ["2405.00003", "2405.00002"]  # Apr 29 is in W18 but not in May
    assert week["period"] | {"label": None} == {"kind": "week", "start": "2024-04-29", "end": "2024-05-05",
                                                "week": "2024-W18", "label": None}
    assert (week["links"]["previous"], week["links"]["next"]) == (
        "/papers/daily?week=2024-W17", "/papers/daily?week=2024-W19")
    assert (month["links"]["previous"], month["links"]["next"]) == (
        "/papers/daily?month=2024-04", "/papers/daily?month=2024-06")
    assert week["links"]["day"] == "/papers/daily?date=2024-04-29"  # the period's first day
    assert links(html, "period-previous") == ["/papers/daily?week=2024-W17"]
    assert links(html, "period-next") == ["/papers/daily?week=2024-W19"]
    following = client.get(links(html, "period-next")[0].replace("/papers/daily", "/papers/daily.json")).json()
    assert ids(following["featured"]) == ["2405.00003"]

    by_day = client.get("/api/daily_papers?week=2024-W18&sort=publishedAt").json()
    assert ids(by_day) == ["2405.00002", "2405.00001"]  # the later listing day first
    by_upvotes = client.get("/api/daily_papers?month=2024-04&sort=trending").json()
    assert ids(by_upvotes) == ["2405.00004", "2405.00001"]
    # publishedAt is the default, as on Hugging Face: the later listing day first.
    assert ids(client.get("/api/daily_papers?month=2024-04").json()) == ["2405.00001", "2405.00004"]


def test_the_front_page_shows_the_latest_day_with_papers(site):
    engine, client = site
    feature(engine, store_paper(engine, 1), DAY, upvotes=1)
    feature(engine, store_paper(engine, 2), DAY - timedelta(days=3), upvotes=1)

    front = client.get("/.json").json()

    assert front["period"]["date"] == DAY.isoformat() and ids(front["featured"]) == ["2405.00001"]
    assert client.get("/").status_code == 200


def test_a_day_with_nothing_featured_shows_its_new_papers_in_the_followed_categories_and_says_so(site):
    engine, client = site
    store_paper(engine, 1, categories=("cs.CL",), announced_on=DAY)
    store_paper(engine, 2, categories=("math.AG",), announced_on=DAY)  # not followed
    store_paper(engine, 3, categories=("stat.ML", "cs.LG"), announced_on=DAY)  # followed through a cross-list
    store_paper(engine, 4, categories=("cs.CL",), announced_on=DAY - timedelta(days=1))

    page = client.get(f"/papers/daily.json?date={DAY}").json()
    html = client.get(f"/papers/daily?date={DAY}").text
    nothing = client.get(f"/papers/daily?date={DAY + timedelta(days=1)}").text

    assert page["featured"] == [] and page["featuredTotal"] == 0
    assert ids(page["newOnArxiv"]) == ["2405.00003", "2405.00001"]  # higher id first within a day
    assert ids(page["byInterest"]) == ["2405.00003", "2405.00001"]  # no readers, no index: the newer first
    assert page["byInterest"][0]["interest"] == {"readers": 0, "affinity": None, "centrality": None}
    assert page["categories"] == FOLLOWED
    assert "Nothing was featured on this day" in html and 'id="featured"' not in html
    assert card_keys(html, "by-interest") == ["2405.00003", "2405.00001"]
    assert "Not embedded yet: newest first" in html
    assert "No papers were featured on this day." in nothing  # a day without papers has nothing to rank
    assert "Nothing new on arXiv on this day in the followed categories." in nothing
    assert ids(client.get(f"/papers/daily.json?week={DAY:%G-W%V}").json()["byInterest"]) == [
        "2405.00003", "2405.00001", "2405.00004"]
    assert "Nothing was featured in this week" in client.get("/papers/daily?week=2024-W18").text


def test_a_featured_day_has_no_fallback(site):
    engine, client = site
    feature(engine, store_paper(engine, 1, categories=("cs.CL",), announced_on=DAY), DAY, upvotes=1)
    store_paper(engine, 2, categories=("cs.CL",), announced_on=DAY)

    page = client.get(f"/papers/daily.json?date={DAY}").json()
    html = client.get(f"/papers/daily?date={DAY}").text

    assert "byInterest" not in page and ids(page["featured"]) == ["2405.00001"]
    assert card_keys(html, "featured") == ["2405.00001"] and 'id="by-interest"' not in html
    assert card_keys(html, "new-on-arxiv") == ["2405.00002", "2405.00001"]


def test_the_fallback_ranks_by_readers_here_and_less_like_this_cancels_a_readers_save(site):
    engine, client = site
    first, second, third, _ = (store_paper(engine, n, categories=("cs.CL",), announced_on=DAY) for n in (1, 2, 3, 4))
    with engine.begin() as conn:
        alice, bob, carol = (create_user(conn, f"{name}@example.org") for name in ("alice", "bob", "carol"))
        save_paper(conn, alice, first)
        cast_vote(conn, alice, first)  # one reader counts once, whatever they did
        rate_paper(conn, bob, first, +1)
        rate_paper(conn, carol, first, +1)
        rate_paper(conn, carol, first, -1)  # carol changed her mind: she counts no more
        save_paper(conn, bob, second)
        save_paper(conn, carol, third)
        rate_paper(conn, carol, third, -1)  # saved and "less like this": not a like

    ranked = client.get(f"/papers/daily.json?date={DAY}").json()["byInterest"]

    assert ids(ranked) == ["2405.00001", "2405.00002", "2405.00004", "2405.00003"]
    assert [item["interest"]["readers"] for item in ranked] == [2, 1, 0, 0]
    assert "Liked by 2 readers here" in client.get(f"/papers/daily?date={DAY}").text


def test_api_pages_are_disjoint_and_stable_with_link_and_total_headers(site):
    engine, client = site
    for n, upvotes in enumerate([5, 5, 5, 3, 3, 9, 1, 5], start=1):  # ties are broken by paper id
        feature(engine, store_paper(engine, n), DAY, upvotes=upvotes)
    everything = ids(client.get(f"/api/daily_papers?date={DAY}&limit=50").json())

    pages, url = [], f"/api/daily_papers?date={DAY}&limit=3"
    while url:
        response = client.get(url)
        assert response.headers["x-total-count"] == "8"
        pages.append(ids(response.json()))
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None
        if url:
            assert link.endswith('; rel="next"') and "limit=3" in url and f"date={DAY}" in url

    assert [len(p) for p in pages] == [3, 3, 2]
    assert sum(pages, []) == everything and len(set(everything)) == 8
    # Most upvotes first; equal counts by paper id, so the order is the same on every request.
    assert everything == [f"2405.{n:05d}" for n in (6, 1, 2, 3, 8, 4, 5, 7)]
    assert ids(client.get(f"/api/daily_papers?date={DAY}&limit=3&p=1").json()) == pages[1]
    assert client.get(f"/api/daily_papers?date={DAY}&p=5").json() == []


def test_daily_page_pages_past_fifty(site):
    engine, client = site
    with engine.begin() as conn:
        paper_ids = upsert_papers(conn, [make_record(n) for n in range(1, 53)]).paper_ids
        upsert_listings(conn, [Listing(pid, DAY, "hf-daily", upvotes=n) for n, pid in enumerate(paper_ids)])

    first = client.get(f"/papers/daily?date={DAY}")
    (next_page,) = links(first.text, "pager-next")
    second = client.get(next_page)

    assert next_page == f"/papers/daily?date={DAY}&page=2"
    shown = card_keys(first.text, "featured") + card_keys(second.text, "featured")
    assert len(card_keys(first.text, "featured")) == 50 and len(shown) == len(set(shown)) == 52
    assert links(second.text, "pager-previous") == [f"/papers/daily?date={DAY}"]
    assert links(second.text, "pager-next") == []


@pytest.mark.parametrize(("query", "status", "problem"), [
    ("date=2024-13-01", 422, "date"),
    ("week=2024-W99", 400, "not a valid week"),
    ("week=24-W1", 422, "week"),
    ("month=2024-5", 422, "month"),
    ("date=2024-05-01&week=2024-W18", 400, "give one of date, week or month"),
    ("limit=0", 422, "limit"),
    ("limit=101", 422, "limit"),
    ("p=-1", 422, "p"),
    ("sort=random", 422, "sort"),
])
def test_bad_api_parameters_are_4xx_json(site, query, status, problem):
    _, client = site
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == status
    assert problem in response.json()["error"]["message"]


def test_bad_page_parameters_are_4xx_pages(site):
    _, client = site
    response = client.get("/papers/daily?week=2024-W99")
    assert response.status_code == 400 and "not a valid week" in response.text
    assert client.get("/papers/daily?page=0").status_code == 422
    assert client.get("/trending?window=year").status_code == 422


# --- papers by id, 404s ----------------------------------------------------------------------------------

def test_api_paper_by_arxiv_id_with_or_without_version(site):
    engine, client = site
    paper_id = store_paper(engine, 1, version=3, title="A <i>paper</i>", categories=("cs.CL",))
    feature(engine, paper_id, DAY, upvotes=7)
    vote(engine, paper_id, 1)

    for key in ("2405.00001", "2405.00001v3", "2405.00001v1", "arXiv:2405.00001"):
        body = client.get(f"/api/papers/{key}").json()
        assert (body["id"], body["version"], body["upvotes"], body["voted"]) == ("2405.00001", 3, 8, False)
        assert body["title"] == "A <i>paper</i>" and body["categories"] == ["cs.CL"]
    page = client.get("/papers/2405.00001v3")
    assert page.status_code == 200 and "A &lt;i&gt;paper&lt;/i&gt;" in page.text


def test_a_featured_papers_page_says_when_and_by_whom_it_was_featured(site):
    engine, client = site
    paper_id = store_paper(engine, 1)
    with engine.begin() as conn:
        upsert_listings(conn, [Listing(paper_id, DAY, "hf-daily", submitted_by="akhaliq <b>")])
    page = lxml.html.fromstring(client.get("/papers/2405.00001").text)
    featured = page.xpath("//dt[.='Featured']/following-sibling::dd[1]")
    assert featured and featured[0].text_content() == f"daily papers of {DAY.isoformat()}, submitted by akhaliq <b>"
    assert featured[0].xpath(".//a/@href") == [f"/papers/daily?date={DAY.isoformat()}"]
    store_paper(engine, 2)
    assert "Featured" not in client.get("/papers/2405.00002").text  # never listed: no row


@pytest.mark.parametrize("path", ["/papers/2999.99999", "/papers/2999.99999.json", "/api/papers/2999.99999",
                                  "/authors/Nobody%20At%20All", "/categories/xx.YY", "/no/such/page"])
def test_unknown_things_are_404_as_a_page_or_json(site, path):
    _, client = site
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/") or path.endswith(".json"):
        assert response.json()["error"]["status"] == 404
        assert "no paper '2999.99999'" in response.json()["error"]["message"]
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert lxml.html.fromstring(response.text).xpath('//*[@class="error-message"]')


# --- trending --------------------------------------------------------------------------------------------

def test_trending_ranks_recent_upvotes_on_the_page_and_the_api(site):
    engine, client = site
    older, newer, april = store_paper(engine, 1), store_paper(engine, 2), store_paper(engine, 3)
    feature(engine, older, date(2024, 5, 1), upvotes=5)
    feature(engine, newer, date(2024, 5, 2), upvotes=9)
    feature(engine, april, date(2024, 4, 10), upvotes=50)  # in the month, not the week

    week = client.get("/trending.json?window=week").json()
    month = client.get("/trending.json?window=month").json()
    html = client.get("/trending?window=week").text
    api = client.get("/api/trending?window=month&limit=2")

    # The store ends on May 2, so trending is ranked as of that day's end.
    assert week["asOf"].startswith("2024-05-02T23:59:59")
    assert ids(week["papers"]) == ["2405.00002", "2405.00001"]
    assert ids(month["papers"]) == ["2405.00002", "2405.00001", "2405.00003"]  # 50 votes decayed for weeks
    assert week["papers"][0]["score"] > week["papers"][1]["score"] > 0
    assert card_keys(html, "main") == ids(week["papers"])
    assert ids(api.json()) == ids(month["papers"])[:2] and 'p=1' in api.headers["link"]
    assert ids(client.get(api.headers["link"].split(">")[0].lstrip("<")).json()) == ["2405.00003"]


def test_a_vote_today_makes_trending_rank_as_of_now(site):
    engine, client = site
    old, fresh = store_paper(engine, 1), store_paper(engine, 2)
    feature(engine, old, date(2024, 5, 1), upvotes=100)
    vote(engine, fresh, 1)

    day = client.get("/api/trending?window=day").json()

    assert ids(day) == ["2405.00002"]  # the 2024 listing is far outside the past day
    assert "No upvotes in the past day" not in client.get("/trending?window=day").text


def test_nothing_trending_says_so(site):
    _, client = site
    assert client.get("/trending.json").json()["papers"] == []
    assert "nothing is trending" in client.get("/trending").text


def test_trending_without_upvotes_shows_the_windows_new_papers_by_interest_and_says_so(site):
    engine, client = site
    ids_by_number = {n: store_paper(engine, n, categories=("cs.CL",), announced_on=day)
                     for n, day in ((1, DAY), (2, DAY - timedelta(days=3)), (3, DAY - timedelta(days=20)))}
    with engine.begin() as conn:
        save_paper(conn, create_user(conn, "alice@example.org"), ids_by_number[2])

    week = client.get("/trending.json?window=week").json()
    month = client.get("/trending.json?window=month").json()
    html = client.get("/trending?window=week").text

    assert week["papers"] == [] and ids(week["byInterest"]) == ["2405.00002", "2405.00001"]
    assert ids(month["byInterest"]) == ["2405.00002", "2405.00001", "2405.00003"]
    assert "No upvotes in the past week, so nothing is trending: these are" in html
    assert card_keys(html, "by-interest") == ["2405.00002", "2405.00001"]
    assert client.get("/api/trending?window=week").json() == []  # the API lists trending papers alone


# --- authors and categories --------------------------------------------------------------------------------

def test_author_page_lists_the_authors_papers_newest_first_without_an_index(site):
    engine, client = site
    store_paper(engine, 1, authors=("Ada Lovelace", "Charles Babbage"), announced_on=date(2024, 1, 1))
    store_paper(engine, 2, authors=("Charles Babbage", "ada  lovelace"), announced_on=date(2024, 3, 1))
    store_paper(engine, 3, authors=("Ada Lovelacey",), announced_on=date(2024, 2, 1))  # a different person
    store_paper(engine, 4, authors=("José Núñez",), announced_on=date(2024, 1, 5))

    body = client.get("/authors/Ada%20Lovelace.json").json()
    html = client.get("/authors/ADA%20LOVELACE").text

    assert ids(body["papers"]) == ["2405.00002", "2405.00001"]
    assert card_keys(html, "main") == ["2405.00002", "2405.00001"]
    # Any case, beyond ASCII too (SQLite's own case folding stops at ASCII).
    for name in ("José Núñez", "JOSÉ NÚÑEZ", "josé núñez"):
        assert ids(client.get(f"/authors/{name}.json").json()["papers"]) == ["2405.00004"], name
    # Without accents too, where the store's scan can see it (tests/test_name_key.py holds the contract).
    assert ids(client.get("/authors/Jose%20N%C3%BA%C3%B1ez.json").json()["papers"]) == ["2405.00004"]


def test_category_page_pages_its_papers_newest_first(site):
    engine, client = site
    with engine.begin() as conn:
        upsert_papers(conn, [make_record(n, categories=("cs.CL",), announced_on=date(2024, 1, 1) + timedelta(days=n))
                             for n in range(1, 31)])
    store_paper(engine, 99, categories=("math.AG",))

    first = client.get("/categories/cs.CL.json").json()
    second = client.get(first["links"]["nextPage"] + "&format=json").json()
    empty = client.get("/categories/cs.LG")

    expected = [f"2405.{n:05d}" for n in range(30, 0, -1)]
    assert ids(first["papers"]) + ids(second["papers"]) == expected
    assert len(first["papers"]) == 25 and second["links"]["nextPage"] is None
    assert empty.status_code == 200 and "No papers in cs.LG yet." in empty.text  # followed, so not a 404


# --- every page is also JSON ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "field"), [
    ("/", "featured"), (f"/papers/daily?date={DAY}", "featured"), ("/trending", "papers"),
    ("/search", "results"), ("/authors/Ada%20Lovelace", "papers"), ("/categories/cs.CL", "papers"),
    ("/papers/2405.00001", "paper"),
])
def test_every_page_is_also_json(site, path, field):
    engine, client = site
    feature(engine, store_paper(engine, 1, authors=("Ada Lovelace",), categories=("cs.CL",)), DAY, upvotes=1)
    split = urlsplit(path)
    suffixed = f"{split.path.rstrip('/')}.json" + (f"?{split.query}" if split.query else "")

    by_suffix = client.get(suffixed)
    by_accept = client.get(path, headers={"Accept": "application/json"})
    page = client.get(path)

    assert by_suffix.headers["content-type"] == "application/json" and field in by_suffix.json()
    assert by_accept.json() == by_suffix.json()
    assert page.headers["content-type"].startswith("text/html")


# --- search (one real index for the module) -------------------------------------------------------------------

TOPICS = [
    ("Retrieval augmented generation for question answering", "cs.CL", date(2025, 1, 3)),
    ("Protein folding with attention networks", "q-bio.BM", date(2025, 1, 5)),
    ("Surface codes for fault tolerant quantum computers", "quant-ph", date(2025, 1, 7)),
    ("Speech recognition with transformers", "cs.CL", date(2025, 2, 9)),
]


@pytest.fixture(scope="module")
def searchable(tmp_path_factory, models_dir):
    tmp = tmp_path_factory.mktemp("search-pages")
    with sqlite_engine(tmp) as engine:
        records = [make_record(arxiv_id=f"2501.{i:05d}", title=title, categories=(category,),
                               abstract=f"A study of {title.lower()}.", announced_on=day,
                               authors=(f"Author {i}", "Shared Coauthor"))
                   for i, (title, category, day) in enumerate(TOPICS)]
        records += [make_record(arxiv_id=f"2502.{i:05d}", title=f"Camera calibration study number {i}",
                                abstract="Geometric calibration of cameras with checkerboard patterns.",
                                categories=("cs.CV",), authors=(f"Vision Person {i}",),
                                announced_on=date(2025, 2, 1) + timedelta(days=i))
                    for i in range(25)]
        with engine.begin() as conn:
            upsert_papers(conn, records)
        settings = Settings(_env_file=None, data_dir=tmp / "data", models_dir=models_dir,
                            database_url=f"sqlite:///{tmp / 'web.db'}")
        service = indexed_search(engine, settings)
        with visit(build_app(engine, tmp, search=service, models_dir=models_dir)) as visitor:
            yield visitor.client


@pytest.mark.parametrize("params", [
    {"q": "calibration", "category": "cs.CL"},
    {"q": "attention", "since": "2025-02-01"},
    {"q": "study", "until": "2025-01-31"},
    {"q": "quantum", "author": "shared coauthor"},
    {"q": "cameras", "category": ["quant-ph", "q-bio"], "sort": "date"},
])
def test_api_search_never_returns_filtered_out_papers(searchable, params):
    found = searchable.get("/api/papers/search", params={**params, "limit": 100}).json()

    assert found, "the filters leave papers to find"
    for item in found:
        paper = item["paper"]
        wanted = params.get("category", [])
        wanted = [wanted] if isinstance(wanted, str) else wanted
        if wanted:  # any of them, a whole archive (q-bio) included
            assert any(c == w or c.startswith(w + ".") for c in paper["categories"] for w in wanted)
        if "since" in params:
            assert paper["announcedAt"][:10] >= params["since"]
        if "until" in params:
            assert paper["announcedAt"][:10] <= params["until"]
        if "author" in params:
            assert "Shared Coauthor" in [a["name"] for a in paper["authors"]]
    if params.get("sort") == "date":
        days = [item["paper"]["announcedAt"] for item in found]
        assert days == sorted(days, reverse=True)


def test_api_search_pages_and_empty_query(searchable):
    first = searchable.get("/api/papers/search?q=calibration&limit=10")
    second = searchable.get(first.headers["link"].split(">")[0].lstrip("<"))

    assert len(first.json()) == 10 and set(ids(first.json())).isdisjoint(ids(second.json()))
    assert searchable.get("/api/papers/search?q=").status_code == 400


def test_search_page_marks_matches_and_pages(searchable):
    first = searchable.get("/search?q=calibration")
    (next_page,) = links(first.text, "pager-next")
    second = searchable.get(next_page)
    one, two = card_keys(first.text, "search-results"), card_keys(second.text, "search-results")

    assert next_page == "/search?q=calibration&sort=relevance&page=2"
    assert len(one) == 20 and set(one).isdisjoint(two)
    assert {f"2502.{i:05d}" for i in range(25)} <= set(one + two)
    marked = lxml.html.fromstring(first.text).xpath('//*[@id="search-results"]//mark/text()')
    assert marked and {word.lower() for word in marked} == {"calibration"}
    assert lxml.html.fromstring(first.text).xpath('//input[@id="search-input"]/@value') == ["calibration"]


def test_similar_papers_leave_the_paper_out_and_have_no_pages(searchable):
    body = searchable.get("/search.json?similar=2502.00003").json()
    html = searchable.get("/search?similar=2502.00003").text

    found = ids(body["results"])
    assert body["similar"] == "2502.00003" and "2502.00003" not in found
    assert len(found) == 20 and sum(key.startswith("2502.") for key in found[:10]) == 10
    # similar() has no offset: a "next page" would show the same papers again.
    assert body["links"] == {"previousPage": None, "nextPage": None}
    assert "Papers similar to" in html and card_keys(html, "search-results") == found
    assert searchable.get("/search.json?similar=2999.99999").status_code == 404


def test_author_page_through_the_index(searchable):
    body = searchable.get("/authors/shared%20coauthor.json").json()
    assert ids(body["papers"]) == ["2501.00003", "2501.00002", "2501.00001", "2501.00000"]  # newest first


def test_search_without_an_index_says_how_to_build_one(site):
    _, client = site
    page = client.get("/search?q=anything")
    api = client.get("/api/papers/search?q=anything")

    assert page.status_code == 200 and NO_INDEX in page.text
    assert client.get("/search.json?q=anything").json()["indexReady"] is False
    assert api.status_code == 503 and api.json()["error"]["message"] == NO_INDEX
