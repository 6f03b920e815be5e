"""The secret key that signs sessions and CSRF tokens: required outside development."""

from __future__ import annotations

import logging
import secrets

from paperfeed.config import Settings
from paperfeed.errors import PaperfeedError

log = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 32


class MissingSecretKey(PaperfeedError):
    """The app was asked to run in production without a key fit to sign sessions."""


def resolve_secret_key(settings: Settings) -> str:
    """The configured key; in development without one, a random key for this process only."""
    key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if len(key) >= MIN_SECRET_LENGTH:
        return key
    if settings.environment != "development":
        what = "is not set" if not key else f"has only {len(key)} characters"
        raise MissingSecretKey(
            f"refusing to start in {settings.environment}: PAPERFEED_SECRET_KEY {what}; set it to at least "
            f"{MIN_SECRET_LENGTH} random characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if key:
        log.warning("PAPERFEED_SECRET_KEY is shorter than %d characters; fine for development only",
                    MIN_SECRET_LENGTH)
        return key
    log.warning("no PAPERFEED_SECRET_KEY: using a random key for this process, so sessions reset on restart")
    return secrets.token_urlsafe(48)
