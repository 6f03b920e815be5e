"""arXiv OAI-PMH adapter: recorded arXiv responses (../shared/data/fixtures/arxiv_oai_pmh),
and small hand-written pages for the cases the recordings do not cover (paging, errors, rejects)."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import shared_path
from paperfeed.errors import InvalidInput, SourceError
from paperfeed.models import Rejected
from paperfeed.sources import arxiv_oai
from paperfeed.sources.base import Request

BASE_URL = "https://oaipmh.arxiv.org/oai"


def recorded(name: str) -> bytes:
    return shared_path("fixtures", "arxiv_oai_pmh", name).read_bytes()


def recorded_by_id(name: str) -> dict:
    return {paper.arxiv_id: paper for paper in arxiv_oai.parse(recorded(name)).records}


def oai_response(inner: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2024-01-02T00:00:00Z</responseDate>"
        f'<request verb="ListRecords">{BASE_URL}</request>{inner}</OAI-PMH>'
    ).encode()


def make_record(arxiv_id: str = "2401.00001", *, title: str | None = "A title", deleted=False):
    status = ' status="deleted"' if deleted else ""
    header = f"<header{status}><identifier>oai:arXiv.org:{arxiv_id}</identifier></header>"
    if deleted:
        return f"<record>{header}</record>"
    title_xml = f"<title>{title}</title>" if title is not None else ""
    return (
        f'<record>{header}<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
        f"<id>{arxiv_id}</id><created>2024-01-01</created>"
        "<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author></authors>"
        f"{title_xml}<categories>cs.LG</categories><abstract>An abstract.</abstract>"
        "</arXiv></metadata></record>"
    )


def list_records(*records: str, token: str = "") -> bytes:
    return oai_response(f"<ListRecords>{''.join(records)}{token}</ListRecords>")


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [
        ({}, (("verb", "ListRecords"), ("metadataPrefix", "arXiv"))),
        (
            {"set_spec": "cs", "from_date": date(2015, 1, 16), "until_date": date(2015, 1, 18)},
            (
                ("verb", "ListRecords"),
                ("metadataPrefix", "arXiv"),
                ("set", "cs"),
                ("from", "2015-01-16"),
                ("until", "2015-01-18"),
            ),
        ),
        (
            {"set_spec": "cs", "from_date": date(2015, 1, 16), "cursor": "6960524|1001"},
            (("verb", "ListRecords"), ("resumptionToken", "6960524|1001")),
        ),
    ],
    ids=["bare", "set-and-dates", "resumption-token-only"],
)
def test_build_request(kwargs, params):
    assert arxiv_oai.build_request(BASE_URL, **kwargs) == Request(BASE_URL, params)


def test_build_request_refuses_from_after_until():
    with pytest.raises(InvalidInput):
        arxiv_oai.build_request(BASE_URL, from_date=date(2024, 2, 1), until_date=date(2024, 1, 1))


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("sample_arxiv_response_listrecords_cs.xml", 46),
        ("sample_arxiv_response_listrecords_physics.xml", 150),
    ],
)
def test_recorded_pages_parse_completely(name, count):
    page = arxiv_oai.parse(recorded(name))
    assert len(page.records) == count
    assert page.rejected == []
    assert page.next_cursor is None  # the recordings were trimmed: no resumptionToken
    assert page.total is None
    assert all(paper.source == "arxiv-oai" and paper.version is None for paper in page.records)


@pytest.mark.shared_data
def test_recorded_record_fields():
    paper = recorded_by_id("sample_arxiv_response_listrecords_cs.xml")["1101.4388"]
    assert paper.title == "Reproducing Kernel Banach Spaces with the l1 Norm"
    assert paper.authors == ("Guohui Song", "Haizhang Zhang", "Fred J. Hickernell")
    assert paper.categories == ("stat.ML", "cs.LG", "math.FA")
    assert paper.doi == "10.1016/j.acha.2012.03.009"
    assert paper.published_on == date(2011, 1, 23)
    assert paper.updated_on == date(2012, 3, 28)
    assert paper.announced_on is None
    assert paper.abstract.startswith("Targeting at sparse learning, we construct Banach spaces")
    assert paper.abstract.endswith("construction of such spaces are given.")
    assert paper.abs_url == "https://arxiv.org/abs/1101.4388"
    assert paper.pdf_url == "https://arxiv.org/pdf/1101.4388"
    assert paper.ref == "oai:arXiv.org:1101.4388"


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "arxiv_id", "authors"),
    [
        # R&#xf6;glin in the XML
        (
            "sample_arxiv_response_listrecords_cs.xml",
            "1111.1546",
            ("Tobias Brunsch", "Heiko Röglin"),
        ),
        # forenames, keyname, suffix
        (
            "sample_arxiv_response_listrecords_physics.xml",
            "1501.03491",
            ("Edésio M. Barboza Jr.", "Rafael C. Nunes", "Éverton M. C. Abreu"),
        ),
        # a collaboration has a keyname only
        ("sample_arxiv_response_listrecords_physics.xml", "1409.3433", ("ATLAS Collaboration",)),
    ],
)
def test_recorded_author_names(name, arxiv_id, authors):
    assert recorded_by_id(name)[arxiv_id].authors[:3] == authors


@pytest.mark.shared_data
def test_recorded_record_without_updated_uses_created_and_keeps_raw_title():
    paper = recorded_by_id("sample_arxiv_response_listrecords_cs.xml")["1501.03810"]
    assert paper.published_on == paper.updated_on == date(2015, 1, 15)
    # Line breaks stay: cleaning whitespace is the normalize step's job.
    assert paper.title == (
        "Time-Varying Input and State Delay Compensation for Uncertain Nonlinear\n  Systems"
    )


@pytest.mark.shared_data
def test_recorded_oai_dc_record_is_rejected_not_guessed():
    page = arxiv_oai.parse(recorded("sample_oai_dc_response.xml"))
    assert page.records == []
    assert [reject.ref for reject in page.rejected] == ["oai:arXiv.org:1507.03011"]
    assert "no arXiv metadata" in page.rejected[0].reason


def test_resumption_token_gives_next_cursor_and_total():
    token = '<resumptionToken cursor="0" completeListSize="2345">6960524|1001</resumptionToken>'
    page = arxiv_oai.parse(list_records(make_record(), token=token))
    assert [paper.arxiv_id for paper in page.records] == ["2401.00001"]
    assert page.next_cursor == "6960524|1001"
    assert page.total == 2345


def test_empty_resumption_token_ends_the_list():
    token = '<resumptionToken cursor="1001" completeListSize="1002"/>'
    page = arxiv_oai.parse(list_records(make_record(), token=token))
    assert page.next_cursor is None
    assert page.total == 1002


def test_no_records_match_is_an_empty_page():
    page = arxiv_oai.parse(oai_response('<error code="noRecordsMatch">No records</error>'))
    assert (page.records, page.rejected, page.next_cursor) == ([], [], None)


@pytest.mark.parametrize(
    ("code", "message"),
    [("badResumptionToken", "Token expired"), ("badArgument", "Illegal date format")],
)
def test_other_oai_errors_raise_with_code_and_message(code, message):
    with pytest.raises(SourceError, match=f"{code}: {message}"):
        arxiv_oai.parse(oai_response(f'<error code="{code}">{message}</error>'))


def test_deleted_record_is_rejected():
    page = arxiv_oai.parse(list_records(make_record("2401.00002", deleted=True)))
    assert page.records == []
    assert page.rejected == [Rejected("oai:arXiv.org:2401.00002", "deleted record")]


@pytest.mark.parametrize("bad_title", [None, "", "   "])
def test_record_without_title_is_rejected_and_the_good_one_kept(bad_title):
    body = list_records(make_record("2401.00001"), make_record("2401.00002", title=bad_title))
    page = arxiv_oai.parse(body)
    assert [paper.arxiv_id for paper in page.records] == ["2401.00001"]
    assert page.rejected == [Rejected("oai:arXiv.org:2401.00002", "missing title")]


def test_record_without_id_is_rejected():
    body = list_records(make_record().replace("<id>2401.00001</id>", ""))
    assert arxiv_oai.parse(body).rejected == [Rejected("oai:arXiv.org:2401.00001", "missing id")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (list_records(make_record())[:-40], "malformed XML"),
        (b"", "malformed XML"),
        (b"<html><body>503 Service Unavailable</body></html>", "not an OAI-PMH response"),
    ],
    ids=["truncated", "empty", "html"],
)
def test_unreadable_bodies_raise_source_error(body, message):
    with pytest.raises(SourceError, match=message):
        arxiv_oai.parse(body)
