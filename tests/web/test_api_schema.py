"""Every operation in the app's OpenAPI schema, fed generated input of every wrong type and size
(schemathesis, in-process over ASGI), answers 2xx or 4xx and never 5xx; a state-changing call
without the session's CSRF token is a 403. Then explicit hostile parameters, one row each, with
the JSON error shape the /api/ paths promise."""

from __future__ import annotations

import time
from datetime import date

import anyio
import orjson
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.listings import upsert_listings
from paperfeed.db.schema import papers
from paperfeed.models import Listing
from paperfeed.web.sessions import COOKIE_NAME, UNSAFE_METHODS
from web_client import build_app, indexed_search, sqlite_engine, visit

DAY = date(2024, 3, 5)
PAPERS = [
    {"title": "Attention Is All You Need", "arxiv_id": "1706.03762", "authors": ("Ashish Vaswani",)},
    {"title": "Diffusion models beat GANs on image synthesis", "arxiv_id": "2105.05233",
     "authors": ("Prafulla Dhariwal", "Alex Nichol"), "categories": ("cs.LG", "cs.CV")},
    {"title": "Retrieval-augmented generation for knowledge-intensive NLP", "arxiv_id": "2005.11401",
     "authors": ("Patrick Lewis",), "categories": ("cs.CL",)},
]


@pytest.fixture(scope="module")
def app(tmp_path_factory, models_dir):
    """The real app over SQLite with a few papers, featured on DAY, and a real search index."""
    tmp_path = tmp_path_factory.mktemp("api-schema")
    with sqlite_engine(tmp_path) as engine:
        for paper in PAPERS:
            store_paper(engine, announced_on=DAY, published_on=DAY, **paper)
        _store_listings(engine)
        settings_ = Settings(_env_file=None, data_dir=tmp_path / "data", models_dir=models_dir,
                             database_url=str(engine.url))
        yield build_app(engine, tmp_path, search=indexed_search(engine, settings_), models_dir=models_dir)


def _store_listings(engine) -> None:
    # upsert_papers stores papers only; ingest writes their listings separately (as here).
    with engine.begin() as conn:
        ids = conn.execute(sa.select(papers.c.id).order_by(papers.c.id)).scalars().all()
        upsert_listings(conn, [Listing(paper_id=i, day=DAY, source="hf-daily", submitted_by="ada", upvotes=n + 1)
                               for n, i in enumerate(ids)])


@pytest.fixture(scope="module")
def client(app):
    with visit(app) as visitor:
        yield visitor.client


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def client_or_success(ctx, response, case) -> None:
    """2xx or 4xx, or a redirect the operation documents (schemathesis then does not follow it: a signed-out
    GET /account/tokens is a 303 to the sign-in page)."""
    status = response.status_code
    documented_redirect = 300 <= status < 400 and str(status) in case.operation.responses.status_codes
    if not (200 <= status < 300 or 400 <= status < 500 or documented_redirect):
        raise AssertionError(f"{case.method} {case.formatted_path} answered {status}")


def unsafe_needs_the_token(ctx, response, case) -> None:
    """No generated request carries the session's CSRF token: none may succeed, and each that reaches
    a route is a 403. Some answers come before any dependency runs, so before the CSRF check: the
    router's 404 (a key with a newline matches no `{key:path}` route), and FastAPI's 400 or 422 for
    a body that is not UTF-8, not JSON or not multipart at all (FastAPI reads the body before it runs
    any dependency). None reaches a handler."""
    if case.method.upper() not in UNSAFE_METHODS or response.status_code == 403:
        return
    text = response.content.decode("utf-8", "replace")
    unrouted = response.status_code == 404 and "nothing at /" in text
    unreadable = (response.status_code == 422 and "not valid JSON" in text) or (
        response.status_code == 400 and ("error parsing the body" in text or "Invalid multipart data" in text))
    if not (unrouted or unreadable):
        raise AssertionError(f"{case.method} {case.formatted_path} without a CSRF token answered "
                             f"{response.status_code}, not 403")


CHECKS = [not_a_server_error, client_or_success, unsafe_needs_the_token]


def fuzz(operation) -> None:
    """Valid and invalid input for one operation, a bounded and repeatable number of times."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=15, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        case.validate_response(case.call(), checks=CHECKS)

    run()


def test_the_schema_lists_the_operations(api_schema):
    operations = list(api_schema.get_all_operations())

    assert all(isinstance(result, Ok) for result in operations), [r.err() for r in operations if not isinstance(r, Ok)]
    labels = {result.ok().label for result in operations}
    assert {"GET /search", "GET /api/papers/search", "GET /papers/{key}", "POST /papers/{key}/vote"} <= labels


def test_generated_input_never_gets_a_server_error(api_schema, subtests):
    # schemathesis.pytest's lazy loader touches Node._nodeid, which pytest 9 no longer has: drive
    # hypothesis directly instead, one subtest per operation (new routes are covered as they appear).
    for result in api_schema.get_all_operations():
        operation = result.ok()
        with subtests.test(operation=operation.label):
            fuzz(operation)


# --- explicit hostile parameters ---------------------------------------------------------------

TEN_KB = "attention " * 1_000  # exactly the 10,000 characters a query may have
HUNDRED_KB = "attention " * 10_000


@pytest.mark.parametrize(("url", "status"), [
    ("/search?q=" + TEN_KB, 200),
    ("/api/papers/search?q=" + TEN_KB, 200),
    ("/search?q=" + "x" * 10_000, 200),  # one 10 KB word
    ("/search?q=" + "%22" * 10_000, 400),  # 10,000 unmatched quotes: no words, an empty query
    ("/search?q=" + "au:" * 3_000, 200),
    ("/search?q=" + "(" * 5_000 + ")" * 5_000, 400),
    ("/search?q=a&q=b", 200),  # repeated: the last one counts (see below)
    ("/search?q=%00", 400),
    ("/search?q=atten%00tion", 400),  # NUL anywhere: refused (see nul_bytes.py)
    ("/search?q=%ff%fe%fd", 400),  # decoded as U+FFFD: no words
    ("/search?q=%C3%28%A0%A1", 400),  # invalid UTF-8: U+FFFD and "(", no words
    ("/search?q=%C3%28attention%A0", 200),  # invalid UTF-8 around a word
    ("/search?q=%ED%A0%80", 400),  # an encoded lone surrogate
    ("/search?q=%", 400),
    ("/search?q=%zz", 200),
    ("/search?q=\u202eattention\u200b", 200),
    ("/search?author=%00", 400),
    ("/search?author=%ff", 200),
    ("/search?category=%00", 400),
    ("/search?category=" + "c" * 301, 422),
    ("/search?" + "&".join(["category=cs.CL"] * 21), 422),
    ("/search?q=attention&sort=bogus", 422),
    ("/search?q=attention&sort=date&sort=bogus", 422),
    ("/search?q=attention&sort=date", 200),
    ("/search?q=attention&page=0", 422),
    ("/search?q=attention&page=-1", 422),
    ("/search?q=attention&page=1.5", 422),
    ("/search?q=attention&page=two", 422),
    ("/search?q=attention&page=" + "9" * 40, 422),
    ("/search?q=attention&page=1e3", 422),
    ("/search?q=attention&page=51", 200),
    ("/search?q=attention&page=52", 422),
    ("/search?since=2024-02-30", 422),
    ("/search?since=yesterday", 422),
    ("/search?since=2024-03-06&until=2024-03-05", 400),
    ("/search?similar=nope", 404),
    ("/search?similar=%00", 400),
    ("/search?similar=1706.03762", 200),
    ("/?page=0", 422),
    ("/?page=nan", 422),
    ("/?page=" + "9" * 400, 422),
    ("/?page=2&page=1", 200),
    ("/papers/daily?date=2024-02-30", 422),
    ("/papers/daily?date=2024-3-5", 422),
    ("/papers/daily?date=99999-01-01", 422),
    ("/papers/daily?date=0000-01-01", 422),
    ("/papers/daily?date=0001-01-01", 200),
    ("/papers/daily?date=9999-12-31", 200),
    ("/papers/daily?date=", 200),  # blank: the latest day
    ("/papers/daily?date=%00", 400),
    ("/papers/daily?date=2024-03-05&date=2024-03-06", 200),
    ("/papers/daily?week=2024-W99", 400),
    ("/papers/daily?week=2024-W00", 400),
    ("/papers/daily?week=0000-W01", 400),
    ("/papers/daily?week=9999-W52", 200),
    ("/papers/daily?month=2024-13", 400),
    ("/papers/daily?month=0000-01", 400),
    ("/papers/daily?month=9999-12", 200),
    ("/papers/daily?date=2024-03-05&week=2024-W10", 400),
    ("/trending?window=year", 422),
    ("/trending?window=%00", 400),
    ("/trending?page=-5", 422),
    ("/papers/%00", 400),
    ("/papers/%ff", 404),
    ("/papers/..%2f..%2fetc%2fpasswd", 404),
    ("/authors/%00", 400),
    ("/authors/%ff%fe", 404),
    ("/authors/" + "x" * 301, 422),
    ("/authors/%20", 404),
    ("/categories/%00", 400),
    ("/categories/cs.CL%22%3E", 422),
    ("/categories/cs.CL?page=1001", 422),
    ("/api/daily_papers?date=2024-02-30", 422),
    ("/api/daily_papers?date=2024-03-05&sort=bogus", 422),
    ("/api/daily_papers?date=2024-03-05&sort=publishedAt", 200),
    ("/api/daily_papers?week=2024-W99", 400),
    ("/api/daily_papers?month=2024-00", 400),
    ("/api/daily_papers?p=-1", 422),
    ("/api/daily_papers?p=10001", 422),
    ("/api/daily_papers?p=10000", 200),
    ("/api/daily_papers?p=0.5", 422),
    ("/api/daily_papers?limit=0", 422),
    ("/api/daily_papers?limit=101", 422),
    ("/api/daily_papers?limit=true", 422),
    ("/api/trending?window=forever", 422),
    ("/api/trending?p=" + "9" * 50, 422),
    ("/api/papers/search?q=attention&p=-1", 422),
    ("/api/papers/search?q=attention&p=10000", 400),
    ("/api/papers/search?q=attention&limit=100&p=10", 200),
    ("/api/papers/search?q=attention&limit=100&p=11", 400),
    ("/api/papers/search?q=attention&sort=newest", 422),
    ("/api/papers/search?q=", 400),
    ("/api/papers/search?q=%00%01%02", 400),
    ("/api/papers/search?q=%ff", 400),
    ("/api/papers/search?q=attention&since=2024-13-01", 422),
    ("/api/papers/search?q=attention&since=2024-03-06&until=2024-03-05", 400),
    ("/api/papers/%00", 400),
    ("/api/papers/%ff%fe", 404),
    ("/api/papers/" + "x" * 301, 422),
    ("/api/papers/1706.03762v99999999999999999999999", 200),  # the paper, whatever the version
    ("/api/nothing-here", 404),
])
def test_hostile_parameters_get_a_client_error(client, url, status):
    response = client.get(url)

    assert response.status_code == status, response.text[:500]
    if url.startswith("/api/") and status >= 400:
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["error"]
        assert error["status"] == status
        assert isinstance(error["message"], str) and len(error["message"]) > 10


@pytest.mark.parametrize(("path", "query", "status"), [
    ("/search", b"q=" + HUNDRED_KB.encode(), 422),
    ("/api/papers/search", b"q=" + HUNDRED_KB.encode(), 422),
    ("/api/papers/search", b"q=attention&category=" + b"c" * 100_000, 422),
    ("/papers/" + "x" * 100_000, b"", 404),
    ("/papers/" + "x-" * 50_000, b"", 404),
    ("/papers/" + "a" * 100_000 + "/0601001", b"", 404),
    ("/authors/" + "x" * 100_000, b"", 422),
])
def test_urls_longer_than_a_client_sends_get_a_client_error(app, path, query, status):
    """Past the 64 KB a client library allows: sent to the app directly, as a proxy might pass it on.
    Quickly too: a long paper key once took two minutes in the arXiv id pattern."""
    started = time.perf_counter()
    response_status, body = asgi_get(app, path, query)

    assert response_status == status, body[:300]
    assert time.perf_counter() - started < 2
    if path.startswith("/api/"):
        assert orjson.loads(body)["error"]["status"] == status


def asgi_get(app, path: str, query: bytes) -> tuple[int, bytes]:
    """One GET straight through the ASGI interface: (status, body)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


@pytest.mark.parametrize("url", [
    "/api/papers/search?q=attention&page=x",  # an unknown parameter is ignored
    "/api/trending?window=day&window=month",
])
def test_harmless_oddities_are_fine(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(("url", "parameter"), [
    ("/api/daily_papers?limit=0", "limit"),
    ("/api/papers/search?q=attention&sort=newest", "sort"),
    ("/api/trending?p=-1", "p"),
    ("/api/daily_papers?date=2024-02-30", "date"),
])
def test_api_validation_errors_name_the_parameter(client, url, parameter):
    error = client.get(url).json()["error"]

    assert error["message"].startswith("bad request parameters:")
    assert [detail["parameter"] for detail in error["details"]] == [parameter]


def test_page_errors_are_pages_and_json_errors_are_json(client):
    page = client.get("/search?q=attention&page=0")
    as_json = client.get("/search.json?q=attention&page=0")

    assert page.status_code == as_json.status_code == 422
    assert page.headers["content-type"].startswith("text/html") and "<code>page</code>" in page.text
    (detail,) = as_json.json()["error"]["details"]
    assert detail["parameter"] == "page" and "greater than or equal to 1" in detail["problem"]


def test_a_repeated_parameter_takes_the_last_value(client):
    assert client.get("/search.json?q=diffusion&q=attention").json()["query"] == "attention"


def test_a_page_past_the_deepest_result_says_how_deep_results_go(client):
    response = client.get("/api/papers/search?q=attention&p=10000")

    assert response.status_code == 400
    assert "search results go 1,000 deep" in response.json()["error"]["message"]


def test_author_pages_stop_where_search_results_do(client):
    # 25 a page, 1,000 results deep: page 41 is the last one the index can fill.
    assert client.get("/authors/Ashish%20Vaswani.json?page=41").status_code in (200, 404)
    response = client.get("/authors/Ashish%20Vaswani.json?page=42")
    assert response.status_code == 422
    assert "page" in response.json()["error"]["message"]


@pytest.mark.parametrize(("body", "problem"), [
    (b"\x00", "not valid JSON: Expecting value at character 0"),
    (b'{"email": ', "not valid JSON: Expecting value at character 10"),
])
def test_a_body_that_is_not_json_says_so(app, body, problem):
    with visit(app) as visitor:
        response = visitor.api("POST", "/api/subscriptions", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"parameter": "body", "problem": problem}]


@pytest.mark.parametrize("headers", [
    {"Accept": "application/json;q=nan, text/html;q=inf"},
    {"Accept": "application/json;q=" + "9" * 5_000},
    {"Accept": ",;=" * 3_000},
    {"Cookie": f"{COOKIE_NAME}=" + "A" * 4_000},
    {"Cookie": f"{COOKIE_NAME}=not.a.session; {COOKIE_NAME}=%ff%00"},
    {"Cookie": '=;;"' * 100},
    {"Host": "evil.example\"><script>"},
])
def test_hostile_headers_get_a_page_not_an_error(app, headers):
    with visit(app) as visitor:
        for url in ("/", "/search?q=attention", "/api/trending"):
            response = visitor.client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.text[:300])


@pytest.mark.parametrize(("method", "url"), [
    ("POST", "/api/papers/1706.03762/vote"),
    ("DELETE", "/api/papers/1706.03762/vote"),
    ("POST", "/papers/1706.03762/vote"),
    ("POST", "/sign-out"),
    ("POST", "/api/subscriptions"),
])
def test_state_changing_calls_without_a_token_are_403(client, method, url):
    response = client.request(method, url, headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


@pytest.mark.parametrize("token", [b"\xff" * 100, b"x" * 10_000, b"\x00", b" "])
def test_a_mangled_csrf_token_is_a_403(client, token):
    response = client.post("/api/papers/1706.03762/vote", headers={"X-CSRF-Token": token, "Accept": "application/json"})

    assert response.status_code == 403


NUL_URLS = ["/papers/%00", "/papers/1706.03762%00", "/papers/1706.03762.json?x=%00", "/api/papers/1706.03762%00",
            "/authors/Ashish%00Vaswani", "/search?similar=1706.03762%00", "/search?q=attention&author=%00",
            "/api/papers/search?q=a%00", "/?%00=1"]


def test_nul_is_refused_alike_on_every_database(engine, tmp_path):
    """PostgreSQL cannot hold NUL in text: these lookups were a 500 there (and a 404 on SQLite)."""
    store_paper(engine, announced_on=DAY, **PAPERS[0])
    with visit(build_app(engine, tmp_path)) as visitor:
        for url in NUL_URLS:
            response = visitor.client.get(url, headers={"Accept": "application/json"})
            assert response.status_code == 400, (url, response.text[:300])
            assert "NUL character" in response.json()["error"]["message"]
        signing_in = visitor.post_form("/sign-in", {"email": "ada\x00@example.org", "password": "x\x00"})
        assert signing_in.status_code == 400 and "form field &#39;email&#39; holds a NUL" in signing_in.text
        visitor.sign_up()
        assert visitor.api("POST", "/api/papers/1706.03762%00/vote").status_code == 400
        assert visitor.api("POST", "/api/papers/1706.03762/vote").status_code == 200
