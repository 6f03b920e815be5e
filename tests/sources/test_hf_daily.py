"""Hugging Face daily papers: building requests, and parsing small hand-written responses
in the documented shape (tests/data/hf_daily)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import orjson
import pytest

from conftest import TEST_DATA
from paperfeed.errors import InvalidInput, SourceError
from paperfeed.models import ListingRecord
from paperfeed.sources import hf_daily
from paperfeed.sources.base import Request

URL = "https://huggingface.co/api/daily_papers"
DAY = TEST_DATA / "hf_daily" / "day_2024-10-23.json"


def parse_day(**kw):
    return hf_daily.parse(DAY.read_bytes(), **kw)


def by_id(page):
    return {record.arxiv_id: record for record in page.records}


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        ({}, (("p", "0"), ("limit", "50"))),
        ({"day": date(2024, 10, 23)}, (("date", "2024-10-23"), ("p", "0"), ("limit", "50"))),
        ({"week": "2024-W43", "page": 2}, (("week", "2024-W43"), ("p", "2"), ("limit", "50"))),
        (
            {"month": "2024-10", "limit": 100, "sort": "trending"},
            (("month", "2024-10"), ("p", "0"), ("limit", "100"), ("sort", "trending")),
        ),
        (
            {"sort": "publishedAt", "limit": 1},
            (("p", "0"), ("limit", "1"), ("sort", "publishedAt")),
        ),
    ],
)
def test_build_request(kwargs, params):
    assert hf_daily.build_request(URL, **kwargs) == Request(URL, params)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day": date(2024, 10, 23), "week": "2024-W43"}, "at most one"),
        ({"week": "2024-W43", "month": "2024-10"}, "at most one"),
        ({"week": "2024-43"}, "week"),
        ({"week": "2024-W54"}, "week"),
        ({"month": "2024-13"}, "month"),
        ({"month": "2024/10"}, "month"),
        ({"sort": "newest"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"page": -1}, "page"),
    ],
)
def test_build_request_refuses_bad_arguments(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        hf_daily.build_request(URL, **kwargs)


def test_parse_keeps_raw_text_and_fills_the_listing():
    record = by_id(parse_day())["2410.17243"]

    assert record.source == "hf-daily"
    assert record.title == (
        "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for\n  Contrastive Loss"
    )
    assert record.abstract.startswith("Contrastive loss is a powerful approach")
    assert "\nlarger batch sizes" in record.abstract
    assert record.authors[:3] == ("Zesen Cheng", "Hang Zhang", "Kehan Li")
    assert len(record.authors) == 9
    assert record.version is None
    assert record.published_on == date(2024, 10, 22)
    assert record.abs_url == "https://arxiv.org/abs/2410.17243"
    assert record.pdf_url == "https://arxiv.org/pdf/2410.17243"
    assert (record.code_url, record.project_url) == (None, None)
    assert record.listing == ListingRecord(
        day=date(2024, 10, 23),
        submitted_by="hangzhang",
        submitted_at=datetime(2024, 10, 23, 2, 41, 7, 211000, tzinfo=UTC),
        upvotes=86,
    )


def test_submitted_on_daily_at_wins_over_published_at():
    listing = by_id(parse_day())["2410.05258"].listing

    # The item was published on the 22nd (UTC) but put on the daily list of the 23rd.
    assert listing.day == date(2024, 10, 23)
    assert listing.submitted_at == datetime(2024, 10, 23, 0, 3, 15, 482000, tzinfo=UTC)
    assert listing.submitted_by == "akhaliq"
    assert listing.upvotes == 141


@pytest.mark.parametrize(
    ("arxiv_id", "code_url", "project_url"),
    [
        ("2410.05258", "https://github.com/microsoft/unilm/tree/master/Diff-Transformer", None),
        (
            "2408.06292",
            "https://github.com/SakanaAI/AI-Scientist",
            "https://sakana.ai/ai-scientist/",
        ),
    ],
)
def test_code_and_project_links(arxiv_id, code_url, project_url):
    record = by_id(parse_day())[arxiv_id]
    assert (record.code_url, record.project_url) == (code_url, project_url)


def test_nulls_everywhere_still_make_a_paper():
    record = by_id(parse_day())["2406.09414"]

    assert record.title == "Depth Anything V2"
    assert record.abstract == ""
    assert record.authors == ("Lihe Yang", "Hengshuang Zhao")  # nameless entries skipped
    assert record.published_on is None
    assert (record.code_url, record.project_url) == (None, None)
    assert record.listing == ListingRecord(
        day=date(2024, 10, 23),
        submitted_by=None,
        submitted_at=datetime(2024, 10, 23, 6, 30, tzinfo=UTC),
        upvotes=0,
    )


def test_parse_day_keeps_every_item_in_order():
    page = parse_day()
    assert [r.arxiv_id for r in page.records] == [
        "2410.17243",
        "2410.05258",
        "2408.06292",
        "2406.09414",
    ]
    assert page.rejected == []


@pytest.mark.parametrize(
    ("name", "page", "limit", "cursor"),
    [
        ("day_2024-10-23.json", 0, 4, "1"),  # a full page: ask for the next one
        ("day_2024-10-23.json", 3, 4, "4"),
        ("day_2024-10-23.json", 0, 50, None),  # fewer than asked for: the last page
        ("empty.json", 0, 50, None),
    ],
)
def test_next_cursor(name, page, limit, cursor):
    parsed = hf_daily.parse((TEST_DATA / "hf_daily" / name).read_bytes(), page=page, limit=limit)
    assert parsed.next_cursor == cursor


def test_empty_day_has_no_records():
    page = hf_daily.parse((TEST_DATA / "hf_daily" / "empty.json").read_bytes())
    assert (page.records, page.rejected) == ([], [])


TIMESTAMP = {"publishedAt": "2024-10-23T00:00:00.000Z"}
GOOD_ITEM = {"paper": {"id": "2410.05258", "title": "Differential Transformer"}, **TIMESTAMP}


@pytest.mark.parametrize(
    ("bad_item", "reason"),
    [
        ({"paper": {"id": "not-on-arxiv-1234", "title": "A paper"}}, "not an arXiv id"),
        ({"paper": {"id": None, "title": "A paper"}}, "not an arXiv id"),
        ({"title": "An item without its paper"}, "no paper object"),
        ("a string, not an item", "no paper object"),
        ({"paper": {"id": "2410.17243", "title": ""}}, "missing title"),
        ({"paper": {"id": "2410.17243", "title": "T", "publishedAt": "yesterday"}}, "timestamp"),
        (
            {"paper": {"id": "2410.17243", "title": "T", "upvotes": "many"}, **TIMESTAMP},
            "many",
        ),
    ],
)
def test_unusable_items_are_rejected_and_the_rest_kept(bad_item, reason):
    page = hf_daily.parse(orjson.dumps([GOOD_ITEM, bad_item, GOOD_ITEM]))

    assert [r.arxiv_id for r in page.records] == ["2410.05258", "2410.05258"]
    assert len(page.rejected) == 1
    assert page.rejected[0].ref.startswith("item 1")
    assert reason in page.rejected[0].reason


def test_item_without_any_timestamp_has_no_listing():
    page = hf_daily.parse(orjson.dumps([{"paper": {"id": "2410.05258", "title": "T"}}]))
    assert page.records[0].listing is None


def test_naive_timestamps_are_taken_as_utc():
    item = {"paper": {"id": "2410.05258", "title": "T"}, "publishedAt": "2024-10-23T05:00:00"}
    listing = hf_daily.parse(orjson.dumps([item])).records[0].listing
    assert listing.submitted_at == datetime(2024, 10, 23, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("error.json", "Invalid date format"),
        ("truncated.json", "not JSON"),
    ],
)
def test_unusable_responses_raise_source_error(name, message):
    with pytest.raises(SourceError, match=message):
        hf_daily.parse((TEST_DATA / "hf_daily" / name).read_bytes())
