"""/openapi.json tells the truth: what a client generated from it expects is what the JSON API answers.

The schema names the real shapes (api_models.py): list items with `paper.githubRepo` and the rest,
and `{"error": {"status", "message"}}` for every 4xx and 5xx, never FastAPI's `detail`. Then
schemathesis sends generated input (valid and not) to every /api/ operation, as a reader with an API
token, and checks each answer against the schema: body, status, content type and headers. Pages
that negotiate HTML or JSON keep their JSON undocumented (only their errors and the API-token JSON
are documented)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factories import store_paper
from paperfeed.config import Settings
from paperfeed.db.api_tokens import create_token
from paperfeed.db.listings import upsert_listings
from paperfeed.db.users import create_user
from paperfeed.models import Listing
from replay_server import closed_port_url
from web_client import build_app, indexed_search, sqlite_engine, visit

DAY = date(2024, 3, 5)
CONFORMANCE = [response_schema_conformance, status_code_conformance, content_type_conformance,
               response_headers_conformance]


@pytest.fixture(scope="module")
def site(tmp_path_factory, models_dir):
    """(app, a reader's API token): three papers featured on DAY (one with code and project links), a
    real search index, rate limits off (the fuzzing would hit them; tests/web/test_ratelimit.py has them)."""
    tmp_path = tmp_path_factory.mktemp("openapi")
    with sqlite_engine(tmp_path) as engine:
        ids = [store_paper(engine, 1, code_url="https://github.com/org/repo", project_url="https://org.example"),
               store_paper(engine, 2), store_paper(engine, 3, title="Diffusion models")]
        with engine.begin() as conn:
            upsert_listings(conn, [Listing(paper_id, DAY, "hf-daily", submitted_by="ada", upvotes=n,
                                           submitted_at=datetime(2024, 3, 5, 9, tzinfo=UTC) if n else None)
                                   for n, paper_id in enumerate(ids)])
            reader = create_user(conn, "reader@example.org", "reader")
            _, token = create_token(conn, reader, "schemathesis")
        settings_ = Settings(_env_file=None, data_dir=tmp_path / "data", models_dir=models_dir,
                             database_url=str(engine.url))
        # arXiv at a port nothing listens on: a generated library import never asks the real one.
        yield build_app(engine, tmp_path, search=indexed_search(engine, settings_), models_dir=models_dir,
                        rate_limits=False, arxiv_api_url=f"{closed_port_url()}/api/query"), token


@pytest.fixture(scope="module")
def app(site):
    return site[0]


@pytest.fixture(scope="module")
def spec(app):
    with visit(app) as visitor:
        return visitor.client.get("/openapi.json").json()


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def resolve(spec: dict, schema: dict) -> dict:
    """A schema with its $ref followed (components/schemas only, as FastAPI writes them)."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_schema(spec: dict, path: str, method: str, status: str) -> dict:
    return resolve(spec, spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"])


def non_null(spec: dict, schema: dict) -> dict:
    """The object schema inside `X | null`."""
    options = [resolve(spec, s) for s in schema.get("anyOf", [schema])]
    (found,) = [s for s in options if s.get("type") != "null"]
    return found


# --- what a generated client sees -----------------------------------------------------------------------

def test_daily_papers_are_documented_as_hugging_face_items(spec):
    listed = json_schema(spec, "/api/daily_papers", "get", "200")
    item = resolve(spec, listed["items"])
    paper = resolve(spec, item["properties"]["paper"])

    assert listed["type"] == "array"
    assert {"githubRepo", "projectPage", "githubStars", "numComments", "id", "title", "summary", "authors",
            "publishedAt", "upvotes"} <= set(paper["required"])
    assert non_null(spec, paper["properties"]["githubRepo"])["type"] == "string"
    assert non_null(spec, paper["properties"]["githubStars"])["type"] == "integer"
    assert resolve(spec, paper["properties"]["authors"]["items"])["required"] == ["name"]
    assert {"paper", "submittedBy", "publishedAt", "githubRepo", "numComments"} <= set(item["required"])
    assert "score" not in item["required"]  # present in ranked lists only
    assert set(non_null(spec, item["properties"]["submittedBy"])["required"]) == {"name", "user", "fullname"}
    assert item["additionalProperties"] is False and paper["additionalProperties"] is False
    detail = json_schema(spec, "/api/papers/{paper_id}", "get", "200")
    assert {"submittedOnDailyAt", "submittedOnDailyBy", "voted", "githubRepo"} <= set(detail["required"])


def test_every_error_is_documented_as_the_error_shape_and_never_as_detail(spec):
    error = json_schema(spec, "/api/daily_papers", "get", "4XX")

    inner = resolve(spec, error["properties"]["error"])
    assert error["required"] == ["error"]
    assert set(inner["required"]) == {"status", "message"}
    assert (inner["properties"]["status"]["type"], inner["properties"]["message"]["type"]) == ("integer", "string")
    assert "X-Error-Message" in spec["paths"]["/api/daily_papers"]["get"]["responses"]["4XX"]["headers"]
    assert not {"HTTPValidationError", "ValidationError"} & set(spec["components"]["schemas"])
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)  # FastAPI's own 422 (`detail`) is gone
            assert {"4XX", "5XX"} <= set(responses), (method, path)
            for status in ("4XX", "5XX"):
                assert resolve(spec, responses[status]["content"]["application/json"]["schema"]) == error
            if path.startswith("/api/"):
                assert set(responses["4XX"]["content"]) == {"application/json"}, path
                success = next(s for s in responses if s.startswith("2"))
                assert resolve(spec, responses[success]["content"]["application/json"]["schema"]), path


# --- what the API answers -------------------------------------------------------------------------------

def api_operations(api_schema):
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/api/"):
            yield operation


def test_the_fuzzing_below_reaches_the_api_operations(api_schema):
    assert {op.label for op in api_operations(api_schema)} >= {
        "GET /api/daily_papers", "GET /api/trending", "GET /api/papers/search", "GET /api/papers/{paper_id}",
        "POST /api/papers/{paper_id}/vote", "DELETE /api/papers/{paper_id}/vote", "POST /api/subscriptions",
        "GET /api/library", "POST /api/library", "DELETE /api/library/papers/{paper_id}",
        "PUT /api/library/papers/{paper_id}/note", "PUT /api/library/papers/{paper_id}/collections",
        "GET /api/library/collections", "POST /api/library/collections",
        "PATCH /api/library/collections/{collection_id}", "DELETE /api/library/collections/{collection_id}",
        "GET /api/library/learned", "GET /api/library/export",
        "POST /api/library/import", "POST /api/papers/{paper_id}/rating", "DELETE /api/papers/{paper_id}/rating",
        "DELETE /api/ratings"}


def test_generated_input_gets_answers_the_schema_describes(site, api_schema, subtests):
    """As a reader with an API token (so votes succeed and a subscription reaches the mail step, a 503
    here without SMTP), valid and invalid input alike."""
    _, token = site
    bearer = {"Authorization": f"Bearer {token}"}
    for operation in api_operations(api_schema):
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=30, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=cases)
        def run(case):
            case.validate_response(case.call(headers=bearer), checks=CONFORMANCE)

        with subtests.test(operation=operation.label):
            run()


@pytest.mark.parametrize(("method", "url", "template", "status"), [
    ("GET", "/api/daily_papers?date=2024-03-05", "/api/daily_papers", 200),
    ("GET", "/api/daily_papers?limit=0", "/api/daily_papers", 422),
    ("GET", "/api/daily_papers?week=2024-W99", "/api/daily_papers", 400),
    ("GET", "/api/trending?window=month", "/api/trending", 200),
    ("GET", "/api/papers/search?q=diffusion", "/api/papers/search", 200),
    ("GET", "/api/papers/search?q=", "/api/papers/search", 400),
    ("GET", "/api/papers/2405.00001", "/api/papers/{paper_id}", 200),
    ("GET", "/api/papers/2405.00004", "/api/papers/{paper_id}", 404),
    ("GET", "/api/papers/2405.00001xyz", "/api/papers/{paper_id}", 404),
    ("POST", "/api/papers/2405.00001/vote", "/api/papers/{paper_id}/vote", 403),  # no CSRF token
    ("POST", "/api/subscriptions", "/api/subscriptions", 403),
])
def test_answers_and_errors_match_their_operation(app, api_schema, method, url, template, status):
    with visit(app) as visitor:
        response = visitor.client.request(method, url, headers={"Accept": "application/json"})

    assert response.status_code == status
    api_schema[template][method].validate_response(response)


def test_a_bad_token_and_a_token_used_to_vote_match_their_operation(site, api_schema):
    app, token = site
    with visit(app) as visitor:
        refused = visitor.client.post("/api/papers/2405.00002/vote", headers={"Authorization": "Bearer pf_nothing"})
        voted = visitor.client.post("/api/papers/2405.00002/vote", headers={"Authorization": f"Bearer {token}"})

    assert (refused.status_code, voted.status_code) == (401, 200)
    assert voted.json() == {"paper": "2405.00002", "upvotes": 2, "voted": True}
    for response in (refused, voted):
        api_schema["/api/papers/{paper_id}/vote"]["POST"].validate_response(response)


def test_the_api_token_json_matches_its_operations(app, api_schema):
    with visit(app) as visitor:
        visitor.sign_up("tokens@example.org")
        created = visitor.api("POST", "/account/tokens", data={"name": "nightly", "csrf_token": visitor.token()})
        listed = visitor.client.get("/account/tokens.json")
        revoked = visitor.api("DELETE", f"/account/tokens/{created.json()['created']['id']}")
        again = visitor.api("DELETE", f"/account/tokens/{created.json()['created']['id']}")

    assert (created.status_code, listed.status_code, revoked.status_code, again.status_code) == (201, 200, 200, 404)
    assert created.json()["created"]["token"].startswith("pf_") and "created" not in listed.json()
    api_schema["/account/tokens"]["POST"].validate_response(created)
    api_schema["/account/tokens"]["GET"].validate_response(listed)
    for response in (revoked, again):
        api_schema["/account/tokens/{token_id}"]["DELETE"].validate_response(response)


def test_a_response_the_schema_does_not_describe_is_caught(app, api_schema):
    """The checks can fail: an error without its `message`, or a list item without `paper.githubRepo`."""
    with visit(app) as visitor:
        error = visitor.client.get("/api/daily_papers?limit=0")
        items = visitor.client.get("/api/daily_papers?date=2024-03-05")
    operation = api_schema["/api/daily_papers"]["GET"]
    assert operation.is_valid_response(error) and operation.is_valid_response(items)

    error_body, items_body = error.json(), items.json()
    del error_body["error"]["message"]
    del items_body[0]["paper"]["githubRepo"]
    for response, body in ((error, error_body), (items, items_body)):
        edited = httpx.Response(response.status_code, json=body, request=response.request)
        edited.elapsed = response.elapsed
        assert not operation.is_valid_response(edited)
