"""arXiv API adapter: recorded export.arxiv.org responses (../shared/data/fixtures/arxiv_api),
and small hand-written feeds for rejects and unreadable bodies."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import shared_path
from paperfeed.errors import InvalidInput, SourceError
from paperfeed.models import Rejected
from paperfeed.sources import arxiv_api
from paperfeed.sources.base import Request

BASE_URL = "https://export.arxiv.org/api/query"


def recorded(prefix: str) -> tuple[int, bytes]:
    """The status and body of the one recording named '<prefix>_<hash>.json'."""
    (path,) = shared_path("fixtures", "arxiv_api").glob(f"{prefix}_*.json")
    response = json.loads(path.read_text(encoding="utf-8"))
    return response["status_code"], response["body"].encode()


def parse_recorded(prefix: str, start: int = 0):
    return arxiv_api.parse(recorded(prefix)[1], start=start)


def feed(*entries: str, total: int | None = None) -> bytes:
    total_xml = f"<opensearch:totalResults>{total}</opensearch:totalResults>" if total else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<title>arXiv Query</title>{total_xml}{''.join(entries)}</feed>"
    ).encode()


def make_entry(entry_id: str | None = "2401.00001v2", *, title: str | None = "A title", extra=""):
    id_xml = f"<id>http://arxiv.org/abs/{entry_id}</id>" if entry_id else ""
    title_xml = f"<title>{title}</title>" if title is not None else ""
    return (
        f"<entry>{id_xml}{title_xml}<summary>An abstract.</summary>"
        "<published>2024-01-01T10:00:00Z</published><updated>2024-02-01T10:00:00Z</updated>"
        f"<author><name>Jane Doe</name></author>{extra}</entry>"
    )


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        (
            {"id_list": ["2104.12255v1", "quant-ph/0201082"]},
            (
                ("id_list", "2104.12255v1,quant-ph/0201082"),
                ("start", "0"),
                ("max_results", "100"),
                ("sortBy", "submittedDate"),
                ("sortOrder", "descending"),
            ),
        ),
        (
            {"query": "all:testing", "start": 10, "max_results": 10, "sort_by": "relevance"},
            (
                ("search_query", "all:testing"),
                ("start", "10"),
                ("max_results", "10"),
                ("sortBy", "relevance"),
                ("sortOrder", "descending"),
            ),
        ),
        (
            {"id_list": "1605.08386", "query": "cat:math.CO", "sort_order": "ascending"},
            (
                ("search_query", "cat:math.CO"),
                ("id_list", "1605.08386"),  # a lone string is one id, not ten characters
                ("start", "0"),
                ("max_results", "100"),
                ("sortBy", "submittedDate"),
                ("sortOrder", "ascending"),
            ),
        ),
    ],
    ids=["ids", "query", "query-and-single-id"],
)
def test_build_request(kwargs, params):
    assert arxiv_api.build_request(BASE_URL, **kwargs) == Request(BASE_URL, params)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"id_list": [" ", ""], "query": ""},
        {"query": "all:x", "sort_by": "date"},
        {"query": "all:x", "sort_order": "up"},
        {"query": "all:x", "start": -1},
        {"query": "all:x", "max_results": 0},
    ],
    ids=["nothing", "blank", "sort-by", "sort-order", "start", "max-results"],
)
def test_build_request_refuses_bad_input(kwargs):
    with pytest.raises(InvalidInput):
        arxiv_api.build_request(BASE_URL, **kwargs)


@pytest.mark.shared_data
def test_recorded_versioned_id():
    page = parse_recorded("id_2104.12255v1_s0_m100")
    (paper,) = page.records
    assert (paper.arxiv_id, paper.version) == ("2104.12255", 1)
    assert paper.title == "0"  # a real title, and a falsy-looking one
    assert paper.abstract.startswith("What is the funniest number in cryptography? 0.")
    assert paper.authors == ("Quan Thoi Minh Nguyen",)
    assert paper.categories == ("cs.CR",)
    assert paper.published_on == paper.updated_on == date(2021, 4, 20)
    assert paper.abs_url == "https://arxiv.org/abs/2104.12255"
    assert paper.pdf_url == "https://arxiv.org/pdf/2104.12255v1"
    assert paper.ref == "http://arxiv.org/abs/2104.12255v1"
    assert (paper.source, paper.doi, page.total, page.next_cursor) == ("arxiv-api", None, 1, None)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("prefix", "arxiv_id", "categories", "authors"),
    [
        (
            "id_quant-ph_0201082v1_s0_m100",
            "quant-ph/0201082",
            ("quant-ph", "cs.PL"),
            ("Stephen Blaha",),
        ),
        (
            "id_astro-ph_0601001_s0_m100",
            "astro-ph/0601001",
            ("astro-ph",),
            ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"),
        ),
        (
            "id_1605.08386_s0_m100",
            "1605.08386",
            ("math.CO", "math.ST"),
            ("Caprice Stanley", "Tobias Windisch"),
        ),
    ],
)
def test_recorded_single_ids(prefix, arxiv_id, categories, authors):
    (paper,) = parse_recorded(prefix).records
    assert (paper.arxiv_id, paper.version) == (arxiv_id, 1)
    assert paper.categories == categories
    assert paper.authors == authors  # affiliations are not names
    assert paper.pdf_url == f"https://arxiv.org/pdf/{arxiv_id}v1"


@pytest.mark.shared_data
def test_recorded_doi_and_later_version():
    papers = {paper.arxiv_id: paper for paper in parse_recorded("q_testing_s0_m10").records}
    paper = papers["2005.14124"]
    assert paper.version == 2
    assert paper.doi == "10.1145/3395363.3397376"
    assert (paper.published_on, paper.updated_on) == (date(2020, 5, 28), date(2020, 7, 16))
    assert paper.categories[0] == "cs.SE"


@pytest.mark.shared_data
def test_recorded_multiple_ids_return_only_the_existing_one():
    # 0808.05394 cannot exist: five-digit numbers started in 2015 (1501.xxxxx).
    page = parse_recorded("id_0808.05394_1707.08567_s0_m100")
    assert [paper.arxiv_id for paper in page.records] == ["1707.08567"]
    assert page.records[0].title.startswith("Proceedings of Workshop AEW10")


@pytest.mark.shared_data
@pytest.mark.parametrize("prefix", ["id_0000.0000_s0_m100", "id_0808.05394_s0_m100"])
def test_recorded_unknown_id_is_an_empty_page(prefix):
    page = parse_recorded(prefix)
    assert (page.records, page.rejected, page.next_cursor, page.total) == ([], [], None, 0)


@pytest.mark.shared_data
def test_recorded_error_feed_raises_source_error():
    status, body = recorded("id_abc_s0_m100")
    assert status == 400
    with pytest.raises(SourceError, match="incorrect id format for abc"):
        arxiv_api.parse(body)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("prefix", "start", "count", "next_cursor"),
    [
        ("q_testing_s0_m10", 0, 10, "10"),
        ("q_testing_s0_m15", 0, 15, "15"),
        ("q_testing_s0_m100", 0, 100, "100"),
        ("q_testing_s5_m10", 5, 10, "15"),
        ("q_testing_s5_m15", 5, 15, "20"),
        ("q_testing_s9_m15", 9, 15, "24"),
        ("q_testing_s10_m10", 10, 10, "20"),
        ("q_testing_s50_m10", 50, 10, "60"),
    ],
)
def test_recorded_search_pages(prefix, start, count, next_cursor):
    page = parse_recorded(prefix, start=start)
    assert len(page.records) == count
    assert page.rejected == []
    assert page.total == 214881
    assert page.next_cursor == next_cursor


@pytest.mark.shared_data
def test_following_the_cursor_continues_where_the_last_page_ended():
    everything = [paper.arxiv_id for paper in parse_recorded("q_testing_s0_m100").records]
    seen, cursor = [], "0"
    for prefix in ["q_testing_s0_m10", "q_testing_s10_m10", "q_testing_s20_m10"]:
        page = parse_recorded(prefix, start=int(cursor))
        seen += [paper.arxiv_id for paper in page.records]
        cursor = page.next_cursor
    assert seen == everything[:30]
    assert cursor == "30"


def test_last_page_has_no_cursor():
    page = arxiv_api.parse(feed(make_entry(), total=11), start=10)
    assert (len(page.records), page.next_cursor, page.total) == (1, None, 11)


def test_primary_category_first_and_no_duplicates():
    categories = (
        '<category term="cs.LG"/><category term="stat.ML"/><category term="cs.LG"/>'
        '<arxiv:primary_category term="stat.ML"/>'
    )
    (paper,) = arxiv_api.parse(feed(make_entry(extra=categories))).records
    assert paper.categories == ("stat.ML", "cs.LG")


def test_pdf_url_is_built_when_the_link_is_missing():
    (paper,) = arxiv_api.parse(feed(make_entry("2401.00001v3"))).records
    assert paper.pdf_url == "https://arxiv.org/pdf/2401.00001v3"


SECOND_ID = "http://arxiv.org/abs/2401.00002v1"


@pytest.mark.parametrize(
    ("bad_entry", "rejected"),
    [
        (make_entry("2401.00002v1", title=None), Rejected(SECOND_ID, "missing title")),
        (make_entry("2401.00002v1", title=" "), Rejected(SECOND_ID, "missing title")),
        (make_entry(None), Rejected("entry 1", "missing id")),
    ],
    ids=["no-title", "blank-title", "no-id"],
)
def test_bad_entry_is_rejected_and_the_good_one_kept(bad_entry, rejected):
    page = arxiv_api.parse(feed(make_entry(), bad_entry, total=2))
    assert [paper.arxiv_id for paper in page.records] == ["2401.00001"]
    assert page.rejected == [rejected]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (feed(make_entry())[:-30], "malformed XML"),
        (b"", "malformed XML"),
        (b"<html><body>Rate exceeded.</body></html>", "not an Atom feed"),
    ],
    ids=["truncated", "empty", "html"],
)
def test_unreadable_bodies_raise_source_error(body, message):
    with pytest.raises(SourceError, match=message):
        arxiv_api.parse(body)
