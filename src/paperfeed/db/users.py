"""User accounts: creating them and looking them up by id or email for sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from paperfeed.db.dialect import insert_or_ignore
from paperfeed.db.schema import users
from paperfeed.emails import email_key, stored_spellings
from paperfeed.errors import InvalidInput, NotFound


@dataclass(frozen=True, slots=True)
class User:
    """A signed-in person as the web pages see them: never carries the password hash."""

    id: int
    email: str
    username: str | None = None

    @property
    def display_name(self) -> str:
        """The name they see themselves signed in as: their username, else their email."""
        return self.username or self.email

    @property
    def public_name(self) -> str:
        """The name others see on what they submit: their username, else their email's local part
        (a whole address on a public page would feed spammers)."""
        return self.username or self.email.partition("@")[0]


@dataclass(frozen=True, slots=True)
class Login:
    """A user with the password hash to check a sign-in against."""

    user: User
    password_hash: str | None


def create_user(conn: sa.Connection, email: str, username: str | None = None, password_hash: str | None = None) -> int:
    """The new user's id; InvalidInput when the email or the name is taken. The email is stored in
    paperfeed.emails' form, so 'Ada@Bücher.de' and 'ada@xn--bcher-kva.de' are one account.

    ON CONFLICT DO NOTHING rather than a SAVEPOINT: with pysqlite, a SAVEPOINT that opens the
    transaction commits it on RELEASE, so the caller's rollback would not undo the new user.
    """
    key = email_key(email)
    older = stored_spellings(email) - {key}  # an account stored before the rule has no unique-key clash
    if older and conn.execute(sa.select(users.c.id).where(users.c.email.in_(older))).first() is not None:
        raise InvalidInput(f"a user with email {email!r} exists already")
    statement = insert_or_ignore(conn, users).values(
        email=key, username=username, password_hash=password_hash,
        created_at=datetime.now(UTC),
    ).returning(users.c.id)
    user_id = conn.execute(statement).scalar_one_or_none()
    if user_id is None:
        raise InvalidInput(f"a user with email {email!r} or name {username!r} exists already")
    # The instance's first account runs it. Decided by the lowest id, so two first sign-ups at once
    # make one admin, and deleting an account never promotes another.
    first = sa.select(sa.func.min(users.c.id)).scalar_subquery()
    conn.execute(users.update().where(users.c.id == user_id, users.c.id == first).values(is_admin=True))
    return user_id


def is_admin(conn: sa.Connection, user_id: int) -> bool:
    return bool(conn.execute(sa.select(users.c.is_admin).where(users.c.id == user_id)).scalar_one_or_none())


def make_admin(conn: sa.Connection, email: str) -> int:
    """Make the account of this address (however spelled) an admin; its id. NotFound without one."""
    login = find_login(conn, email)
    if login is None:
        raise NotFound(f"no account with email {email!r}: sign up first")
    conn.execute(users.update().where(users.c.id == login.user.id).values(is_admin=True))
    return login.user.id


def get_user(conn: sa.Connection, user_id: int) -> User | None:
    row = conn.execute(
        sa.select(users.c.id, users.c.email, users.c.username).where(users.c.id == user_id)
    ).first()
    return User(row.id, row.email, row.username) if row else None


def find_login(conn: sa.Connection, email: str) -> Login | None:
    """The account of this address, however it is spelled (paperfeed.emails), or None."""
    row = conn.execute(
        sa.select(users).where(users.c.email.in_(stored_spellings(email))).order_by(users.c.id)
    ).first()
    return Login(User(row.id, row.email, row.username), row.password_hash) if row else None


def email_taken(conn: sa.Connection, email: str) -> bool:
    taken = sa.select(users.c.id).where(users.c.email.in_(stored_spellings(email)))
    return conn.execute(taken).first() is not None


def username_taken(conn: sa.Connection, username: str) -> bool:
    """Case-insensitively, so nobody can pass for 'Ada' by signing up as 'ada'."""
    taken = sa.select(users.c.id).where(sa.func.lower(users.c.username) == username.lower())
    return conn.execute(taken).first() is not None


def set_password_hash(conn: sa.Connection, user_id: int, password_hash: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def set_mention_mail(conn: sa.Connection, user_id: int, wanted: bool) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(mention_mail=wanted))


def mention_mail_wanted(conn: sa.Connection, user_id: int) -> bool:
    return bool(conn.execute(sa.select(users.c.mention_mail).where(users.c.id == user_id)).scalar())
