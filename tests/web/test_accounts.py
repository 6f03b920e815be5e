"""Accounts: sign-up checks, argon2 sign-in with rehashing, session cookies, and the sign-up,
sign-in and sign-out pages through the real app (SQLite, and PostgreSQL where the store matters)."""

from __future__ import annotations

import itsdangerous.timed
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from paperfeed.db.schema import users
from paperfeed.db.users import User, create_user
from paperfeed.web.accounts import WRONG_LOGIN, Accounts, FormInvalid, check_sign_up
from paperfeed.web.sessions import MAX_AGE, Session, SessionCodec, set_cookie_header

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
KEY = "k" * 40


# --- sign-up form checks (pure) --------------------------------------------------------------------

@pytest.mark.parametrize(("email", "username", "password", "bad"), [
    ("ada@example.org", "", "long enough pw", set()),
    ("ada@example.org", "ada_l-1", "long enough pw", set()),
    ("", "", "long enough pw", {"email"}),
    ("ada", "", "long enough pw", {"email"}),
    ("ada@", "", "long enough pw", {"email"}),
    ("ada@example.org", "a", "long enough pw", {"username"}),
    ("ada@example.org", "ada lovelace", "long enough pw", {"username"}),
    ("ada@example.org", "<script>", "long enough pw", {"username"}),
    ("ada@example.org", "", "short", {"password"}),
    ("ada@example.org", "", "x" * 257, {"password"}),
    ("nope", "?", "", {"email", "username", "password"}),
])
def test_sign_up_form_names_every_bad_field(email, username, password, bad):
    if not bad:
        assert check_sign_up(email, username, password).email == email
        return
    with pytest.raises(FormInvalid) as caught:
        check_sign_up(email, username, password)
    assert set(caught.value.errors) == bad


def test_sign_up_form_normalizes_the_email_and_drops_a_blank_username():
    form = check_sign_up("  Ada@EXAMPLE.org ", "  ", "long enough pw")
    assert (form.email, form.username) == ("ada@example.org", None)


# --- Accounts against the store ----------------------------------------------------------------------

def stored_hash(engine, email: str) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.select(users.c.password_hash).where(users.c.email == email)).scalar_one()


def test_sign_up_stores_an_argon2_hash_and_sign_in_accepts_only_the_password(engine):
    accounts = Accounts(engine, FAST_HASHER)
    user = accounts.sign_up("Ada@Example.org", "ada", "correct horse battery")

    assert user == User(user.id, "ada@example.org", "ada")
    password_hash = stored_hash(engine, "ada@example.org")
    assert password_hash.startswith("$argon2id$") and "correct horse" not in password_hash
    assert accounts.sign_in(" ADA@example.org", "correct horse battery") == user
    for email, password in [("ada@example.org", "correct horse batter"), ("bob@example.org", "correct horse battery"),
                            ("", ""), ("ada@example.org", "x" * 10_000)]:
        with pytest.raises(FormInvalid) as caught:
            accounts.sign_in(email, password)
        assert caught.value.errors == {"password": WRONG_LOGIN}


def test_sign_up_refuses_a_taken_email_or_username_with_the_field_named(engine):
    accounts = Accounts(engine, FAST_HASHER)
    accounts.sign_up("ada@example.org", "Ada", "correct horse battery")

    with pytest.raises(FormInvalid) as email_taken:
        accounts.sign_up("ADA@example.org", "", "another password")
    with pytest.raises(FormInvalid) as name_taken:
        accounts.sign_up("bob@example.org", "ada", "another password")
    assert list(email_taken.value.errors) == ["email"]
    assert list(name_taken.value.errors) == ["username"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 1


def test_sign_in_rehashes_a_password_hashed_with_older_parameters(engine):
    old = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    with engine.begin() as conn:
        create_user(conn, "ada@example.org", password_hash=old.hash("correct horse battery"))
    accounts = Accounts(engine, FAST_HASHER)

    accounts.sign_in("ada@example.org", "correct horse battery")

    upgraded = stored_hash(engine, "ada@example.org")
    assert "m=1024,t=1,p=1" in upgraded and not FAST_HASHER.check_needs_rehash(upgraded)
    assert accounts.sign_in("ada@example.org", "correct horse battery").email == "ada@example.org"


def test_a_user_without_a_password_cannot_sign_in(engine):
    with engine.begin() as conn:
        create_user(conn, "imported@example.org")
    with pytest.raises(FormInvalid):
        Accounts(engine, FAST_HASHER).sign_in("imported@example.org", "")


# --- session cookies (pure) --------------------------------------------------------------------------

def test_session_cookie_round_trips_and_rejects_forgery():
    codec = SessionCodec(KEY)
    value = codec.dump(Session(user_id=7, nonce="abc"))

    session, age = codec.load(value)
    assert session == Session(7, "abc") and 0 <= age < 5
    assert codec.load(value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]) is None  # altered signature
    assert SessionCodec("other" * 8).load(value) is None  # signed with another key
    assert codec.load("garbage") is None
    assert codec.load(codec.dump(Session(None, "n")))[0] == Session(None, "n")


def test_session_cookie_expires(monkeypatch):
    codec = SessionCodec(KEY)

    class LongAgo:
        @staticmethod
        def time() -> float:
            import time
            return time.time() - MAX_AGE.total_seconds() - 60

    monkeypatch.setattr(itsdangerous.timed, "time", LongAgo)
    old = codec.dump(Session(1, "n"))
    monkeypatch.undo()
    assert codec.load(old) is None


@pytest.mark.parametrize(("secure", "expected"), [
    (False, "paperfeed_session=v; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax"),
    (True, "paperfeed_session=v; Path=/; Max-Age=1209600; HttpOnly; SameSite=Lax; Secure"),
])
def test_session_cookie_attributes(secure, expected):
    assert set_cookie_header("v", secure=secure) == expected
