"""Signed links in mails: confirm a subscription (expires), manage preferences and unsubscribe (do not:
an old digest's unsubscribe link must keep working). A token names the subscriber and a hash of their
address, so it is no use for anyone else, and the purpose is part of the signature (an unsubscribe
token cannot confirm). The token itself is the authority: no sign-in, no cookie.

The key is Settings.signing_key (PAPERFEED_SECRET_KEY, or in development a stable key derived from the
database URL: see config.py), the same key the web app signs sessions with.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer

from paperfeed.config import Settings
from paperfeed.errors import InvalidInput

log = logging.getLogger(__name__)

PURPOSES = ("confirm", "manage", "unsubscribe")


class LinkExpired(InvalidInput):
    pass


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class TokenClaim:
    subscriber_id: int
    address_hash: str

    def matches(self, email: str) -> bool:
        return self.address_hash == _address_hash(email)


class LinkSigner:
    def __init__(self, key: str, base_url: str, confirm_valid_for: timedelta = timedelta(hours=48)) -> None:
        self._serializer = URLSafeSerializer(key, salt="paperfeed.digest")
        self.base_url = base_url.rstrip("/")
        self.confirm_valid_for = confirm_valid_for

    @classmethod
    def from_settings(cls, settings: Settings) -> LinkSigner:
        return cls(settings.signing_key, settings.base_url, timedelta(hours=settings.digest_confirm_hours))

    def token(self, purpose: str, subscriber_id: int, email: str, now: datetime) -> str:
        assert purpose in PURPOSES
        return self._serializer.dumps([purpose, subscriber_id, _address_hash(email), int(now.timestamp())])

    def read(self, purpose: str, token: str, now: datetime) -> TokenClaim:
        """What a token says, if it was signed by us for this purpose (and, to confirm, is fresh enough)."""
        try:
            signed_for, subscriber_id, address_hash, issued_at = self._serializer.loads(token or "")
        except (BadSignature, ValueError, TypeError):
            raise InvalidInput("this link is not valid: it may have been cut short; copy the whole link") from None
        if signed_for != purpose:
            raise InvalidInput("this link is not valid for this page")
        if purpose == "confirm" and now.timestamp() - issued_at > self.confirm_valid_for.total_seconds():
            raise LinkExpired("this confirmation link has expired: subscribe again to get a new one")
        return TokenClaim(subscriber_id, address_hash)

    def url(self, purpose: str, subscriber_id: int, email: str, now: datetime) -> str:
        """The page a link in a mail opens: /subscriptions/confirm, /subscriptions/manage, /unsubscribe."""
        path = "/unsubscribe" if purpose == "unsubscribe" else f"/subscriptions/{purpose}"
        return f"{self.base_url}{path}?{urlencode({'token': self.token(purpose, subscriber_id, email, now)})}"
