"""NUL characters in requests: the app-wide dependency that refuses them with a 400.

PostgreSQL text cannot hold NUL, so nothing stored has one, and a lookup carrying one fails there
(psycopg's DataError, a 500) where SQLite quietly finds nothing. Refused before any handler runs,
both databases answer alike. JSON bodies are left to their pydantic models.
"""

from __future__ import annotations

from starlette.requests import Request

from paperfeed.errors import InvalidInput
from paperfeed.web.render import has_form_body

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _nul(where: str) -> InvalidInput:
    return InvalidInput(f"{where} holds a NUL character (%00), which no name, key or query can contain")


async def refuse_nul(request: Request) -> None:
    """A NUL in the path, a query parameter or a form field is a 400 naming where it was."""
    if "\x00" in request.scope["path"]:
        raise _nul("the path")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise _nul(f"parameter {name!r}")
    if request.method in _BODY_METHODS and has_form_body(request):
        for name, value in (await request.form()).multi_items():  # Starlette keeps the parsed form for the route
            if "\x00" in name or (isinstance(value, str) and "\x00" in value):
                raise _nul(f"form field {name!r}")
