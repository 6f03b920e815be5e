"""The one place errors become responses: an HTML error page, or for API and JSON requests
`{"error": {"status": 404, "message": "..."}}` (api_models.ErrorResponse), with the message in an
X-Error-Message header too (where huggingface_hub's HfApi looks for a server's message first).
Never a traceback, and bad input is never a 5xx."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from paperfeed.errors import PaperfeedError
from paperfeed.web.api_models import error_body
from paperfeed.web.render import JsonResponse, page_context, wants_json

log = logging.getLogger(__name__)
MAX_HEADER_MESSAGE = 1000  # characters: a header stays small however long the message
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or wants_json(request)


def header_message(message: str) -> str:
    """`message` as a header value: one line of ASCII (other characters as \\u escapes), cut short."""
    line = _CONTROL.sub(" ", message).strip()
    text = line.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= MAX_HEADER_MESSAGE else text[:MAX_HEADER_MESSAGE - 3] + "..."


def json_error(status: int, message: str, details: Any = None, headers: dict[str, str] | None = None) -> JsonResponse:
    """The JSON error every API client reads: the body's `error`, and the message in X-Error-Message."""
    return JsonResponse(error_body(status, message, details), status_code=status,
                        headers={**(headers or {}), "X-Error-Message": header_message(message)})


def error_response(request: Request, status: int, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    if _wants_json(request):
        return json_error(status, message, details, headers)
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    context = {**page_context(request), "status": status, "title": title, "message": message, "details": details}
    return request.app.state.templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers,
    )


def _describe(error: dict) -> dict:
    loc = error.get("loc", ())
    if error.get("type") == "json_invalid":  # loc is ("body", character offset): name the body, not a number
        reason = (error.get("ctx") or {}).get("error", "decode error")
        return {"parameter": "body", "problem": f"not valid JSON: {reason} at character {loc[-1] if loc else 0}"}
    where = ".".join(str(part) for part in loc if part not in ("query", "path", "body"))
    # A problem with the whole body (a list where an object belongs) has no field to name.
    return {"parameter": where or (str(loc[0]) if loc else "request"), "problem": error.get("msg", "invalid")}


def _validation_message(errors: list[dict]) -> tuple[str, list[dict]]:
    details = [_describe(error) for error in errors]
    message = "; ".join(f"{d['parameter']}: {d['problem']}" for d in details) or "invalid request"
    return f"bad request parameters: {message}", details


async def _on_paperfeed_error(request: Request, exc: PaperfeedError) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("%s on %s: %s", type(exc).__name__, request.url.path, exc)
    details = getattr(exc, "errors", None)
    return error_response(request, status, str(exc), details if isinstance(details, dict) else None)


async def _on_http_error(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    message, details = _validation_message(list(exc.errors()))
    return error_response(request, 422, message, details)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(request, 500, "something went wrong on our side; the error was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PaperfeedError, _on_paperfeed_error)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
