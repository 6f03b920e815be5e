"""Accounts: sign-up checks, argon2 sign-in with rehashing, session cookies, and the sign-up,
sign-in and sign-out pages through the real app (SQLite, and PostgreSQL where the store matters)."""

from __future__ import annotations

import httpx
import itsdangerous.timed
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from paperfeed.db.schema import users
from paperfeed.db.users import User, create_user
from paperfeed.web.accounts import WRONG_LOGIN, Accounts, FormInvalid, check_sign_up
from paperfeed.web.sessions import MAX_AGE, Session, SessionCodec, set_cookie_header
from web_client import PASSWORD, build_app, serve, sqlite_engine, visit

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
KEY = "k" * 40


@pytest.fixture
def visitor(tmp_path):
    """A visitor on the app over SQLite; tests where the database matters take `engine` (both)."""
    with sqlite_engine(tmp_path) as engine, visit(build_app(engine, tmp_path)) as visitor:
        yield visitor


@pytest.fixture
def store_visitor(engine, tmp_path):
    """A visitor on the app over SQLite and PostgreSQL, for tests where the store matters."""
    with visit(build_app(engine, tmp_path)) as visitor:
        yield visitor


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


# --- the pages, through the real app -----------------------------------------------------------------

def session_cookie(response) -> str:
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith("paperfeed_session=")]
    return header


def test_sign_up_signs_in_with_an_http_only_same_site_cookie(visitor):
    assert visitor.whoami() is None

    response = visitor.sign_up("Ada@Example.org", username="ada")

    assert response.headers["location"] == "/"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=1209600" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    assert visitor.whoami() == {"id": 1, "email": "ada@example.org", "username": "ada"}


def test_cookie_is_secure_when_the_site_is_https(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        app = build_app(engine, tmp_path, base_url="https://papers.example.org")
        with visit(app, base_url="https://testserver") as visitor:  # a Secure cookie only comes back over https
            assert "; Secure" in session_cookie(visitor.sign_up())


@pytest.mark.parametrize(("trusted", "secure"), [("127.0.0.1", True), ("10.9.9.9", False)])
def test_cookie_is_secure_behind_a_trusted_https_proxy_only(tmp_path, trusted, secure):
    """uvicorn turns X-Forwarded-Proto into the request's scheme only for proxies it trusts."""
    with sqlite_engine(tmp_path) as engine, \
            serve(build_app(engine, tmp_path), proxy_headers=True, forwarded_allow_ips=trusted) as url:
        response = httpx.get(f"{url}/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert ("; Secure" in session_cookie(response)) is secure


def test_sign_in_refuses_a_wrong_password_and_keeps_the_email_not_the_password(visitor):
    visitor.sign_up()
    visitor.post_form("/sign-out")

    wrong = visitor.sign_in(password="not the password")

    assert wrong.status_code == 400
    assert WRONG_LOGIN in wrong.text
    assert 'value="ada@example.org"' in wrong.text and "not the password" not in wrong.text
    assert 'aria-describedby="error-password"' in wrong.text
    assert visitor.whoami() is None
    right = visitor.sign_in()
    assert right.status_code == 303 and visitor.whoami()["email"] == "ada@example.org"


def test_sign_up_refuses_a_duplicate_email(engine, store_visitor):
    visitor = store_visitor
    visitor.sign_up()
    visitor.post_form("/sign-out")

    again = visitor.post_form("/sign-up", {"email": "ADA@example.org", "password": "another password"})

    assert again.status_code == 400
    assert "exists already" in again.text and 'aria-describedby="error-email"' in again.text
    assert "another password" not in again.text
    assert visitor.whoami() is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 1


def test_sign_up_and_sign_in_answer_json_callers(visitor):
    created = visitor.api("POST", "/sign-up", data={"email": "ada@example.org", "password": PASSWORD})
    assert created.status_code == 201
    assert created.json()["user"]["email"] == "ada@example.org"
    bad = visitor.api("POST", "/sign-in", data={"email": "ada@example.org", "password": "nope"})
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {"password": WRONG_LOGIN}


def test_sign_out_is_post_only_and_ends_the_session(visitor):
    visitor.sign_up()

    assert visitor.client.get("/sign-out").status_code == 405
    assert visitor.whoami() is not None
    response = visitor.post_form("/sign-out")

    assert response.status_code == 303 and response.headers["location"] == "/"
    assert visitor.whoami() is None


def test_a_forged_or_altered_cookie_is_a_signed_out_visitor(visitor):
    visitor.sign_up()
    genuine = visitor.client.cookies["paperfeed_session"]
    forged = SessionCodec("not the site's key but long enough").dump(Session(user_id=1))

    for value in (forged, genuine[:-3] + "xyz"):
        visitor.client.cookies.clear()
        visitor.client.cookies.set("paperfeed_session", value)
        assert visitor.whoami() is None


def test_a_session_of_a_deleted_account_is_signed_out(engine, store_visitor):
    store_visitor.sign_up()
    with engine.begin() as conn:
        conn.execute(users.delete())
    assert store_visitor.whoami() is None


@pytest.mark.parametrize(("next_path", "location"), [
    ("/papers/1706.03762?x=1", "/papers/1706.03762?x=1"),
    ("https://evil.example/", "/"),
    ("//evil.example", "/"),
])
def test_sign_in_returns_only_to_a_page_of_this_site(visitor, next_path, location):
    visitor.sign_up()
    visitor.post_form("/sign-out")
    response = visitor.post_form("/sign-in", {"email": "ada@example.org", "password": PASSWORD, "next": next_path})
    assert response.headers["location"] == location


def test_new_visitors_get_a_cookie_with_pages_but_not_with_json(visitor):
    assert "paperfeed_session=" in visitor.client.get("/sign-in").headers.get("set-cookie", "")
    visitor.client.cookies.clear()
    assert "set-cookie" not in visitor.client.get("/sign-in.json").headers
