"""huggingface_hub's own client reads paperfeed: HfApi(endpoint=..., token=False) against the real app
served by uvicorn on loopback, with a real search index. list_daily_papers, list_papers, paper_info
and read_paper give what paperfeed's pages show; every parameter the client sends is honoured or
refused with a message the client shows; and paperfeed's own Hugging Face adapter reads back what
paperfeed's API writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.api_tokens import create_token
from paperfeed.db.feed import featured_papers
from paperfeed.db.listings import first_listing, upsert_listings
from paperfeed.db.users import create_user
from paperfeed.db.votes import cast_vote
from paperfeed.models import Listing
from paperfeed.sources import hf_daily
from paperfeed.web.errors import header_message
from web_client import build_app, indexed_search, serve, sqlite_engine

DAY = date(2024, 10, 23)  # a Wednesday in ISO week 2024-W43
SUBMITTED_AT = datetime(2024, 10, 23, 8, 30, 15, tzinfo=UTC)
INF_CLIP = "2410.17243"
INF_CLIP_FIELDS = {
    "arxiv_id": INF_CLIP, "categories": ("cs.CV",), "published_on": date(2024, 10, 22),
    "title": "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss",
    "abstract": "Contrastive loss is a powerful approach for representation learning, where larger batch sizes "
                "enhance performance by providing more negative samples.",
    "authors": ("Zesen Cheng", "Hang Zhang", "Kehan Li"),
    "code_url": "https://github.com/DAMO-NLP-SG/Inf-CLIP", "project_url": "https://inf-clip.example.org",
}
SECOND, EARLIER, UNLISTED = "2405.00002", "2405.00003", "2405.00004"


@pytest.fixture(scope="module")
def site(tmp_path_factory, models_dir):
    """(base URL, a paperfeed API token of a reader who upvoted Inf-CLIP): Inf-CLIP submitted by ada on DAY
    with 5 upvotes (+1 local vote), paper 2 by grace on DAY with 9 (no submission time), paper 3 by ada the
    day before with 20, paper 4 never featured."""
    tmp_path = tmp_path_factory.mktemp("hf-client")
    with sqlite_engine(tmp_path) as engine:
        inf_clip = store_paper(engine, **INF_CLIP_FIELDS)
        second, earlier = store_paper(engine, 2), store_paper(engine, 3)
        store_paper(engine, 4)
        with engine.begin() as conn:
            upsert_listings(conn, [
                Listing(inf_clip, DAY, "hf-daily", submitted_by="ada", submitted_at=SUBMITTED_AT, upvotes=4),
                Listing(second, DAY, "hf-daily", submitted_by="grace", upvotes=9),
                Listing(earlier, DAY - timedelta(days=1), "hf-daily", submitted_by="ada", upvotes=20),
            ])
            reader = create_user(conn, "reader@example.org", "reader")
            cast_vote(conn, reader, inf_clip)
            _, token = create_token(conn, reader, "hf client")
        settings = Settings(_env_file=None, data_dir=tmp_path / "data", models_dir=models_dir,
                            database_url=str(engine.url))
        app = build_app(engine, tmp_path, search=indexed_search(engine, settings), models_dir=models_dir)
        with serve(app) as url:
            yield url, token


@pytest.fixture(scope="module")
def base(site):
    return site[0]


@pytest.fixture(scope="module")
def hf(base):
    return HfApi(endpoint=base, token=False)


def ids(infos) -> list[str]:
    return [info.id for info in infos]


def page_json(base: str, arxiv_id: str) -> dict:
    """What paperfeed's own page of the paper shows, as its JSON."""
    response = httpx.get(f"{base}/papers/{arxiv_id}.json")
    assert response.status_code == 200
    return response.json()


def test_daily_papers_read_as_the_paper_page_shows_them(hf, base):
    (info,) = [i for i in hf.list_daily_papers(date=DAY.isoformat()) if i.id == INF_CLIP]
    page = page_json(base, INF_CLIP)

    assert (info.title, info.summary) == (page["title"], page["summary"]) == (
        INF_CLIP_FIELDS["title"], INF_CLIP_FIELDS["abstract"])
    assert [a.name for a in info.authors] == [a["name"] for a in page["paper"]["authors"]]
    assert info.published_at == datetime(2024, 10, 22, tzinfo=UTC)
    assert info.upvotes == page["upvotes"] == 5  # 4 from Hugging Face, 1 here
    assert (info.github_repo, info.project_page) == (page["paper"]["links"]["code"], page["paper"]["links"]["project"])
    assert (info.github_repo, info.project_page) == (INF_CLIP_FIELDS["code_url"], INF_CLIP_FIELDS["project_url"])
    assert info.github_stars is None  # paperfeed stores no star counts
    assert info.comments == 0
    assert info.submitted_at == SUBMITTED_AT
    assert (info.submitted_by.username, info.submitted_by.fullname) == ("ada", "ada")
    assert page["submittedBy"]["name"] == "ada"


def test_daily_papers_default_to_the_latest_day_sorted_by_published_at_as_on_hugging_face(hf):
    assert ids(hf.list_daily_papers()) == [SECOND, INF_CLIP]  # the latest day; within it, most upvotes first
    week = "2024-W43"
    assert ids(hf.list_daily_papers(week=week)) == [SECOND, INF_CLIP, EARLIER]  # the later listing day first
    assert ids(hf.list_daily_papers(week=week, sort="publishedAt")) == [SECOND, INF_CLIP, EARLIER]
    assert ids(hf.list_daily_papers(week=week, sort="trending")) == [EARLIER, SECOND, INF_CLIP]
    assert ids(hf.list_daily_papers(month="2024-10", sort="trending", limit=2, p=1)) == [INF_CLIP]
    assert ids(hf.list_daily_papers(month="2024-09")) == []


def test_submitter_keeps_only_the_papers_they_put_on_the_daily_feed(hf):
    assert ids(hf.list_daily_papers(submitter="ada")) == [INF_CLIP, EARLIER]  # no period: all of theirs
    assert ids(hf.list_daily_papers(submitter="ada", date=(DAY - timedelta(days=1)).isoformat())) == [EARLIER]
    assert ids(hf.list_daily_papers(submitter="ada", week="2024-W43", sort="trending")) == [EARLIER, INF_CLIP]
    (grace,) = hf.list_daily_papers(submitter="grace")
    assert (grace.id, grace.submitted_by.fullname) == (SECOND, "grace")
    assert ids(hf.list_daily_papers(submitter="Ada")) == []  # a name is matched exactly
    assert ids(hf.list_daily_papers(submitter="nobody")) == []


def test_search_reads_the_same_fields(hf, base):
    found = list(hf.list_papers(query="contrastive batch size"))
    page = page_json(base, INF_CLIP)

    assert found[0].id == INF_CLIP
    assert (found[0].github_repo, found[0].project_page) == (page["paper"]["links"]["code"],
                                                             page["paper"]["links"]["project"])
    assert len(list(hf.list_papers(query="paper", limit=1))) == 1


def test_paper_info_has_its_first_day_on_the_daily_feed(hf, base):
    info = hf.paper_info(INF_CLIP)

    assert (info.id, info.title, info.summary) == (INF_CLIP, INF_CLIP_FIELDS["title"], INF_CLIP_FIELDS["abstract"])
    assert (info.github_repo, info.project_page, info.github_stars, info.comments) == (
        INF_CLIP_FIELDS["code_url"], INF_CLIP_FIELDS["project_url"], None, 0)
    assert info.published_at == datetime(2024, 10, 22, tzinfo=UTC) and info.upvotes == 5
    assert info.submitted_at == SUBMITTED_AT
    assert (info.submitted_by.username, info.submitted_by.fullname) == ("ada", "ada")
    assert hf.paper_info(INF_CLIP + "v1").id == INF_CLIP  # any version names the paper
    # Listed without a time: the start of its day. Never featured: neither.
    second = hf.paper_info(SECOND)
    assert (second.submitted_at, second.submitted_by.fullname) == (datetime(2024, 10, 23, tzinfo=UTC), "grace")
    unlisted = hf.paper_info(UNLISTED)
    assert (unlisted.submitted_at, unlisted.submitted_by) == (None, None)
    assert page_json(base, INF_CLIP)["submittedBy"]["name"] == "ada"  # the page shows who, too


@pytest.mark.parametrize("paper_id", [INF_CLIP + "xyz", INF_CLIP + "/foo", "x" + INF_CLIP, INF_CLIP + "v1v2",
                                      "https://arxiv.org/abs/" + INF_CLIP, "2999.99999"])
def test_an_id_with_anything_around_it_is_no_paper(hf, base, paper_id):
    with pytest.raises(HfHubHTTPError) as error:
        hf.paper_info(paper_id)

    assert error.value.response.status_code == 404
    assert error.value.server_message.startswith(f"no paper {paper_id!r}")
    assert httpx.get(f"{base}/papers/{paper_id}.json").status_code == 404  # the page agrees
    with pytest.raises(HfHubHTTPError):
        hf.read_paper(paper_id)


def test_read_paper_is_the_paper_as_markdown(hf, base):
    markdown = hf.read_paper(INF_CLIP)
    response = httpx.get(f"{base}/papers/{INF_CLIP}.md")

    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == markdown
    assert markdown.startswith(f"# {INF_CLIP_FIELDS['title']}\n")
    assert f"- **Code:** {INF_CLIP_FIELDS['code_url']}\n" in markdown
    assert "- **Featured on the daily feed:** 2024-10-23, submitted by ada\n" in markdown
    assert markdown.endswith(f"## Abstract\n\n{INF_CLIP_FIELDS['abstract']}\n")


@pytest.mark.parametrize(("arguments", "error_type", "status", "message"), [
    ({"sort": "newest"}, HfHubHTTPError, 422, "bad request parameters: sort: Input should be 'publishedAt' or"),
    ({"limit": 101}, HfHubHTTPError, 422, "bad request parameters: limit:"),
    ({"p": -1}, HfHubHTTPError, 422, "bad request parameters: p:"),
    ({"date": "2024-13-01"}, HfHubHTTPError, 422, "bad request parameters: date:"),
    ({"week": "2024-W99"}, BadRequestError, 400, "week '2024-W99' is not a valid week"),
    ({"date": "2024-10-23", "month": "2024-10"}, BadRequestError, 400, "give one of date, week or month"),
    ({"submitter": "x" * 256}, HfHubHTTPError, 422, "bad request parameters: submitter:"),
])
def test_refused_parameters_come_with_the_message_the_client_shows(hf, arguments, error_type, status, message):
    with pytest.raises(error_type) as error:
        list(hf.list_daily_papers(**arguments))

    response = error.value.response
    assert response.status_code == status
    assert response.headers["x-error-message"] == response.json()["error"]["message"]
    assert error.value.server_message.startswith(message)
    assert message in str(error.value)


def test_the_error_header_is_ascii_and_the_body_as_written(base):
    response = httpx.get(f"{base}/api/papers/Sch%C3%B6lkopf")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no paper 'Schölkopf'"
    assert response.headers["x-error-message"] == "no paper 'Sch\\xf6lkopf'"


def test_a_saved_hugging_face_token_is_refused_and_a_paperfeed_token_is_a_reader(site):
    """Without token=False the client sends the token it keeps for huggingface.co to any endpoint:
    paperfeed takes it for an API token of its own and refuses it. Its own token makes the client a reader."""
    base, token = site
    with pytest.raises(HfHubHTTPError) as error:
        list(HfApi(endpoint=base, token="hf_" + "x" * 34).list_daily_papers())
    assert error.value.response.status_code == 401

    voted = {info.id: info.voted for info in HfApi(endpoint=base, token=token).list_daily_papers()}
    assert voted == {SECOND: False, INF_CLIP: True}
    assert {info.voted for info in HfApi(endpoint=base, token=False).list_daily_papers()} == {False}


def test_paperfeeds_hugging_face_adapter_reads_back_what_the_api_writes(base):
    response = httpx.get(f"{base}/api/daily_papers", params={"week": "2024-W43", "limit": 50})
    page = hf_daily.parse(response.content, limit=50)
    records = {record.arxiv_id: record for record in page.records}

    assert not page.rejected and set(records) == {INF_CLIP, SECOND, EARLIER}
    inf_clip = records[INF_CLIP]
    assert (inf_clip.code_url, inf_clip.project_url) == (INF_CLIP_FIELDS["code_url"], INF_CLIP_FIELDS["project_url"])
    assert (inf_clip.title, inf_clip.abstract, inf_clip.authors) == (
        INF_CLIP_FIELDS["title"], INF_CLIP_FIELDS["abstract"], INF_CLIP_FIELDS["authors"])
    assert inf_clip.listing.day == DAY and inf_clip.listing.submitted_at == SUBMITTED_AT
    assert (inf_clip.listing.submitted_by, inf_clip.listing.upvotes) == ("ada", 5)
    assert (records[EARLIER].listing.day, records[EARLIER].listing.submitted_by) == (DAY - timedelta(days=1), "ada")
    assert (records[SECOND].listing.day, records[SECOND].code_url) == (DAY, None)


def test_the_store_finds_a_submitters_listings_and_a_papers_first_day(engine):
    """The two reads behind submitter= and submittedOnDailyAt, on SQLite and PostgreSQL."""
    first, second = store_paper(engine, 1), store_paper(engine, 2)
    with engine.begin() as conn:
        upsert_listings(conn, [
            Listing(first, DAY, "hf-daily", submitted_by="ada", upvotes=3),
            Listing(first, DAY - timedelta(days=2), "user", submitted_by="grace", upvotes=0),
            Listing(second, DAY, "hf-daily", submitted_by="ada", submitted_at=SUBMITTED_AT, upvotes=1),
        ])
    with engine.connect() as conn:
        by_ada, total = featured_papers(conn, date.min, date.max, submitter="ada")
        by_grace, _ = featured_papers(conn, date.min, date.max, submitter="grace")
        assert ([(f.paper_id, f.day, f.submitted_by) for f in by_ada], total) == (
            [(first, DAY, "ada"), (second, DAY, "ada")], 2)
        assert [(f.paper_id, f.day, f.submitted_by) for f in by_grace] == [(first, DAY - timedelta(days=2), "grace")]
        assert featured_papers(conn, DAY, DAY, submitter="grace") == ([], 0)
        assert (first_listing(conn, first).day, first_listing(conn, first).submitted_by) == (
            DAY - timedelta(days=2), "grace")
        assert first_listing(conn, second).submitted_at == SUBMITTED_AT
        assert first_listing(conn, store_paper(engine, 3)) is None


@pytest.mark.parametrize(("message", "header"), [
    ("no paper 'x'", "no paper 'x'"),
    ("line one\nline two\r\n\tand a tab\x7f", "line one line two and a tab"),
    ("Schölkopf — “quoted” 🧪", "Sch\\xf6lkopf \\u2014 \\u201cquoted\\u201d \\U0001f9ea"),
    ("x" * 5000, "x" * 997 + "..."),
])
def test_a_message_becomes_a_header_value(message, header):
    assert header_message(message) == header
