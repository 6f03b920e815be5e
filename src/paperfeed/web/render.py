"""One handler, two representations (datasette style): `respond` renders the page's template, or
returns the same data as JSON when the client asks for it, so the pages and their JSON cannot drift.

JSON is chosen when
  - the path ends in `.json` (`/trending.json`, `/papers/2410.17243.json`; middleware.JsonSuffixMiddleware
    strips the suffix before routing and marks the request), or
  - the query has `format=json` (`format=html` forces the page), or
  - the Accept header ranks application/json above text/html (what `fetch` with
    `Accept: application/json` sends; a browser's default Accept gets the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import orjson
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from paperfeed.web.cards import author_path, category_path, paper_path
from paperfeed.web.markup import http_url, rich_text

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
JSON_SUFFIX = "paperfeed.json_suffix"  # scope key set by middleware.JsonSuffixMiddleware, read by wants_json


class JsonResponse(Response):
    """JSON through orjson: dates and datetimes come out as ISO 8601."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def prefers_json(accept: str) -> bool:
    """Does this Accept header rank application/json above text/html? (`*/*` ranks neither.)"""
    best: dict[str, tuple[float, int]] = {}
    for order, item in enumerate(accept.split(",")):
        media, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind = {"application/json": "json", "text/html": "html", "application/xhtml+xml": "html"}.get(
            media.strip().lower())
        if kind and (kind not in best or quality > best[kind][0]):
            best[kind] = (quality, -order)
    json_rank = best.get("json", (0.0, 0))
    return json_rank[0] > 0 and json_rank > best.get("html", (0.0, -10**6))


def has_form_body(request: Request) -> bool:
    """Does the body claim to be an HTML form (urlencoded or multipart), which Starlette parses?"""
    return request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded",
                                                               "multipart/form-data"))


def wants_json(request: Request) -> bool:
    if request.scope.get(JSON_SUFFIX):
        return True
    requested = request.query_params.get("format")
    if requested in ("json", "html"):
        return requested == "json"
    return prefers_json(request.headers.get("accept", ""))


def json_url(request: Request) -> str:
    """This page's JSON address, for a link on the page. The path is quoted from the scope: keys and
    author names may hold '%', which request.url.path leaves bare (a link to another page)."""
    path = quote(request.scope["path"], safe=":/@").rstrip("/")
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{path}.json{query}" if path else f"/.json{query}"


def page_context(request: Request) -> dict[str, Any]:
    """What every template gets: the visitor (None when signed out), the CSRF token for forms,
    the settings, whether the KaTeX files are installed, and this page's JSON address."""
    return {
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "settings": request.app.state.settings,
        "katex": request.app.state.katex_installed,
        "json_href": json_url(request),
    }


def respond(request: Request, template: str, context: Mapping[str, Any], json_body: Any, *,
            status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """The page rendered from `template` with `context`, or `json_body` as JSON when asked for."""
    vary = {"Vary": "Accept", **(headers or {})}
    if wants_json(request):
        return JsonResponse(json_body, status_code=status_code, headers=vary)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, template, {**page_context(request), **context}, status_code=status_code, headers=vary,
    )


def make_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() of every template on every render
    )
    environment.filters["rich"] = rich_text
    environment.filters["http_url"] = http_url
    environment.globals.update(paper_path=paper_path, author_path=author_path, category_path=category_path)
    return Jinja2Templates(env=environment)


def katex_installed() -> bool:
    return (VENDOR_DIR / "katex" / "katex.min.js").exists()

