"""Personal API tokens: making one for a reader, finding whose a presented token is, listing and revoking.

A token is `pf_` + 32 random bytes (URL-safe base64), so it is recognisable in logs and to secret
scanners. Only its sha256 is stored, so a copy of the database holds no working token. A fast hash is
enough: with 256 random bits there is nothing to guess, so a slow password hash would only slow
down every script request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperfeed.db.schema import api_tokens, users
from paperfeed.db.users import User
from paperfeed.errors import InvalidInput
from paperfeed.labels import clean_label

PREFIX = "pf_"
MAX_NAME = 100
MAX_TOKENS = 25  # per reader: enough for every script, and no table filled by one account
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is rewritten at most this often, not on every request
_LONGEST = len(PREFIX) + 64  # longer than any token we issue: not looked up (and not hashed)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token as its owner sees it in the list: never the token itself."""

    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = None


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_token_name(name: str) -> str:
    """The name trimmed; InvalidInput when it is blank or too long."""
    return clean_label(name, MAX_NAME, blank="Give the token a name, such as the script that will use it.",
                       too_long=f"A token name has at most {MAX_NAME} characters.")


def create_token(conn: sa.Connection, user_id: int, name: str, *, now: datetime | None = None) -> tuple[ApiToken, str]:
    """The new token and its secret, which is shown once and never stored; InvalidInput for a bad name
    or when the reader has MAX_TOKENS already."""
    name = clean_token_name(name)
    if count_tokens(conn, user_id) >= MAX_TOKENS:
        raise InvalidInput(f"You have {MAX_TOKENS} API tokens already: revoke one you no longer use first.")
    created_at = now or datetime.now(UTC)
    secret = new_secret()
    token_id = conn.execute(
        api_tokens.insert().values(user_id=user_id, name=name, token_hash=hash_token(secret), created_at=created_at)
        .returning(api_tokens.c.id)
    ).scalar_one()
    return ApiToken(token_id, user_id, name, created_at), secret


def list_tokens(conn: sa.Connection, user_id: int) -> list[ApiToken]:
    """The reader's tokens, newest first."""
    rows = conn.execute(
        sa.select(*_TOKEN_COLUMNS).where(api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.created_at.desc(), api_tokens.c.id.desc())
    )
    return [ApiToken(*row) for row in rows]


def count_tokens(conn: sa.Connection, user_id: int) -> int:
    return conn.execute(
        sa.select(sa.func.count()).select_from(api_tokens).where(api_tokens.c.user_id == user_id)
    ).scalar_one()


def revoke_token(conn: sa.Connection, user_id: int, token_id: int) -> bool:
    """Delete the token if it is this reader's; False when they have no such token (another's included)."""
    result = conn.execute(api_tokens.delete().where(api_tokens.c.id == token_id, api_tokens.c.user_id == user_id))
    return result.rowcount > 0


def find_token_user(conn: sa.Connection, secret: str, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
    """The reader a presented token belongs to, and the token (its last_used_at brought up to date);
    None for a token that was revoked or never issued. Call inside a transaction (engine.begin())."""
    if not secret.startswith(PREFIX) or len(secret) > _LONGEST:
        return None
    row = conn.execute(
        sa.select(*_TOKEN_COLUMNS, users.c.email, users.c.username)
        .join(users, users.c.id == api_tokens.c.user_id)
        .where(api_tokens.c.token_hash == hash_token(secret))
    ).first()
    if row is None:
        return None
    token = ApiToken(row.id, row.user_id, row.name, row.created_at, row.last_used_at)
    now = now or datetime.now(UTC)
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        conn.execute(api_tokens.update().where(api_tokens.c.id == token.id).values(last_used_at=now))
        token = replace(token, last_used_at=now)
    return User(row.user_id, row.email, row.username), token


_TOKEN_COLUMNS = (api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.name, api_tokens.c.created_at,
                  api_tokens.c.last_used_at)
