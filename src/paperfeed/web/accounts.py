"""Accounts: checking a sign-up form, creating the user with an argon2 hash, and checking a sign-in.

Validation is pure (`check_sign_up`); `Accounts` adds the store and the password hasher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from paperfeed.db.users import User, create_user, email_taken, find_login, set_password_hash, username_taken
from paperfeed.emails import InvalidEmail, normalize_email
from paperfeed.errors import InvalidInput

MIN_PASSWORD = 10
MAX_PASSWORD = 256  # hashing a megabyte-long "password" would be an easy way to burn CPU
USERNAME = re.compile(r"[A-Za-z0-9_-]{2,32}")
WRONG_LOGIN = "Wrong email or password."  # the same words whichever was wrong: no account probing


class FormInvalid(InvalidInput):
    """A form with errors: `errors` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class SignUp:
    email: str
    username: str | None
    password: str


def check_sign_up(email: str, username: str, password: str) -> SignUp:
    """The form's values, cleaned (email normalized, blank username dropped); FormInvalid otherwise."""
    errors: dict[str, str] = {}
    try:
        email = normalize_email(email)  # the form a subscription of the same mailbox has too
    except InvalidEmail as exc:
        errors["email"] = exc.reason if email.strip() else "Enter your email address."
    username = username.strip()
    if username and not USERNAME.fullmatch(username):
        errors["username"] = "A username has 2 to 32 letters, digits, '-' or '_'."
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"Use a password of at least {MIN_PASSWORD} characters."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"Use a password of at most {MAX_PASSWORD} characters."
    if errors:
        raise FormInvalid(errors)
    return SignUp(email, username or None, password)


class Accounts:
    """Sign-up and sign-in against the store. argon2 hashes; a stored hash made with other
    parameters than the hasher's is replaced at the next successful sign-in."""

    def __init__(self, engine: sa.Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()

    def sign_up(self, email: str, username: str, password: str) -> User:
        """The new user; FormInvalid for bad values or a taken email or username."""
        form = check_sign_up(email, username, password)
        password_hash = self.hasher.hash(form.password)
        with self.engine.begin() as conn:
            if form.username and username_taken(conn, form.username):  # 'ada' when 'Ada' exists
                raise FormInvalid(self._taken(conn, form))
            try:
                user_id = create_user(conn, form.email, form.username, password_hash)
            except InvalidInput:
                raise FormInvalid(self._taken(conn, form)) from None
        return User(user_id, form.email, form.username)

    def sign_in(self, email: str, password: str) -> User:
        """The user whose email and password these are; FormInvalid(WRONG_LOGIN) otherwise."""
        with self.engine.connect() as conn:
            login = find_login(conn, email) if email.strip() and len(password) <= MAX_PASSWORD else None
        if login is None or not login.password_hash:
            # Hash anyway, so a wrong email takes as long as a wrong password.
            self._verify(self._dummy_hash, password[:MAX_PASSWORD])
            raise FormInvalid({"password": WRONG_LOGIN})
        if not self._verify(login.password_hash, password):
            raise FormInvalid({"password": WRONG_LOGIN})
        if self.hasher.check_needs_rehash(login.password_hash):
            with self.engine.begin() as conn:
                set_password_hash(conn, login.user.id, self.hasher.hash(password))
        return login.user

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not anybody's password")

    def _taken(self, conn: sa.Connection, form: SignUp) -> dict[str, str]:
        errors = {}
        if email_taken(conn, form.email):
            errors["email"] = "An account with this email exists already: sign in instead."
        if form.username and username_taken(conn, form.username):
            errors["username"] = "This username is taken: choose another."
        return errors or {"email": "This account exists already."}
