"""Uploads with a bounded body. The CSRF and NUL checks read a form before any route runs, and Starlette
spools a form's file to disk as it reads, so a size check in the route would come after the whole file
was taken in. `bounded_route(limit)` makes a route class whose requests are refused (413, naming the
limit) from their Content-Length before anything is read, else as soon as the body grows past it.

    router = APIRouter(route_class=bounded_route(MAX_UPLOAD_BYTES + FORM_OVERHEAD))
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

FORM_OVERHEAD = 64 * 1024  # bytes a multipart form adds around its file (boundaries, headers, small fields)


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"uploads here are limited to {limit / (1024 * 1024):g} MB; this one is larger")


def bounded_route(limit: int, *, stated: int | None = None) -> type[APIRoute]:
    """A route class whose request bodies hold at most `limit` bytes; the error names `stated` (the file's
    own limit, when the body's allows for the form around it)."""
    shown = stated or limit

    class BoundedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def bounded(request: Request) -> Response:
                declared = request.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise too_large(shown)
                received = 0
                receive = request.receive

                async def counted() -> Message:
                    nonlocal received
                    message = await receive()
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise too_large(shown)
                    return message

                return await handler(Request(request.scope, counted))

            return bounded

    return BoundedRoute
