"""Session cookies: what a session holds, and its signed, timestamped encoding (itsdangerous).

The cookie is the whole session (no server-side store): the signature keyed by the secret key
makes it tamper-proof and the timestamp inside it makes it expire. Every visitor's session has
a random nonce, the seed of its CSRF token; signing in or out starts a session with a new one.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "paperfeed_session"
MAX_AGE = timedelta(days=14)  # a session unused this long expires
RENEW_AFTER = timedelta(days=1)  # a session in use is re-issued this often, so it expires only when idle
_SALT = "paperfeed.session"  # keeps these signatures apart from anything else signed with the same key


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True, slots=True)
class Session:
    user_id: int | None = None
    nonce: str = field(default_factory=new_nonce)


class SessionCodec:
    """Turns a Session into a cookie value and back; a forged, altered or expired value reads as None."""

    def __init__(self, secret_key: str, max_age: timedelta = MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
        self.max_age = max_age

    def dump(self, session: Session) -> str:
        payload: dict = {"n": session.nonce}
        if session.user_id is not None:
            payload["u"] = session.user_id
        return self._serializer.dumps(payload)

    def load(self, value: str) -> tuple[Session, float] | None:
        """The session and its age in seconds."""
        try:
            payload, signed_at = self._serializer.loads(
                value, max_age=self.max_age.total_seconds(), return_timestamp=True
            )
        except BadSignature:  # also SignatureExpired, its subclass
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
            return None
        user_id = payload.get("u")
        if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
            return None
        age = max(0.0, time.time() - signed_at.timestamp())
        return Session(user_id, payload["n"]), age


def set_cookie_header(value: str, *, secure: bool, max_age: timedelta = MAX_AGE) -> str:
    """The Set-Cookie value: HttpOnly (no script can read it), SameSite=Lax (not sent with
    cross-site POSTs), Secure when the site is served over https."""
    attributes = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={int(max_age.total_seconds())}", "HttpOnly",
                  "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)
