"""CSRF protection: every POST, PUT, PATCH and DELETE must carry the token of the visitor's session.

The token is an HMAC of the session's random nonce under the secret key, so it is bound to one
session, changes when the visitor signs in or out, and cannot be made without the key. Pages
put it in their forms (field `csrf_token`); the site's own scripts send it in the `X-CSRF-Token`
header. A request from another site can carry the visitor's cookie (SameSite=Lax permits some) but
cannot read the page, so it cannot carry the token.

A request authenticated by an API token (`Authorization: Bearer`, session_middleware.py) needs no
CSRF token: a browser never attaches that header by itself, so another site cannot make one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import Request

from paperfeed.errors import Forbidden

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FAILED = (
    "CSRF check failed: the request did not carry this session's security token. "
    "Reload the page and try again (cookies must be enabled)."
)


def csrf_token(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_matches(expected: str | None, given: object) -> bool:
    """Compared in constant time, so response timing gives nothing away about the token."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


async def require_csrf(request: Request) -> None:
    """App-wide dependency: a state-changing request without the session's token is refused (403)."""
    if request.method not in UNSAFE_METHODS or getattr(request.state, "api_token", None) is not None:
        return
    given: object = request.headers.get(HEADER)
    if given is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        given = (await request.form()).get(FORM_FIELD)  # Starlette keeps the parsed form for the route
    if not token_matches(getattr(request.state, "csrf_token", None), given):
        raise Forbidden(FAILED)
