"""Rate limits: moving windows per address and per account; over the limit is 429 with Retry-After
and a message saying when to try again, before any password is checked or anything is stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from factories import store_paper
from paperfeed.db.schema import users, votes
from paperfeed.web.ratelimit import RateLimited, RateLimiter, wait_in_words
from web_client import PASSWORD, build_app, sqlite_engine, visit


def test_each_address_and_account_has_its_own_allowance():
    limiter = RateLimiter({"vote": {"ip": "4/minute", "account": "2/minute"}})
    limiter.hit("vote", ip="10.0.0.1", account="1")
    limiter.hit("vote", ip="10.0.0.1", account="1")

    with pytest.raises(RateLimited) as caught:
        limiter.hit("vote", ip="10.0.0.1", account="1")  # the account's third (a refused try still counts)
    limiter.hit("vote", ip="10.0.0.1", account="2")  # the address's fourth, another account
    with pytest.raises(RateLimited):
        limiter.hit("vote", ip="10.0.0.1", account="3")  # the address's fifth
    limiter.hit("vote", ip="10.0.0.2", account="3")
    limiter.hit("sign-in", ip="10.0.0.1", account="1")  # no rule for it here: never limited

    assert 0 < caught.value.retry_after <= 60
    assert caught.value.status_code == 429
    assert caught.value.headers == {"Retry-After": str(caught.value.retry_after)}
    assert "Too many votes for this account" in caught.value.detail


def test_disabled_limiter_never_limits():
    limiter = RateLimiter.disabled()
    for _ in range(500):
        limiter.hit("sign-in", ip="10.0.0.1", account="ada@example.org")


@pytest.mark.parametrize(("seconds", "words"), [(1, "1 seconds"), (119, "119 seconds"), (120, "2 minutes"),
                                                (890, "15 minutes")])
def test_wait_in_words(seconds, words):
    assert wait_in_words(seconds) == words


@pytest.fixture
def make_visitor(tmp_path):
    """Visitors on one SQLite store, each on an app with the given rate-limit rules (None: defaults)."""
    with sqlite_engine(tmp_path) as engine:
        store_paper(engine)

        def make(rules=None, **settings):
            return visit(build_app(engine, tmp_path, rules=rules, **settings))

        make.engine = engine
        yield make


def test_sign_in_per_account_limit_answers_429_even_for_the_right_password(make_visitor):
    with make_visitor({"sign-in": {"account": "2/minute"}}) as visitor:
        visitor.sign_up()
        visitor.post_form("/sign-out")
        assert visitor.sign_in(password="wrong password 1").status_code == 400
        assert visitor.sign_in(password="wrong password 2").status_code == 400

        limited = visitor.sign_in(password=PASSWORD)
        other_account = visitor.sign_in(email="bob@example.org", password="whatever it is")

        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert "Too many sign-in attempts for this account: try again in" in limited.text
        assert visitor.whoami() is None
        assert other_account.status_code == 400  # other accounts are not locked out
        json = visitor.api("POST", "/sign-in", data={"email": "ADA@example.org", "password": PASSWORD})
        assert json.status_code == 429 and json.json()["error"]["status"] == 429


def test_default_limits_stop_the_eleventh_sign_up_from_one_address(make_visitor):
    with make_visitor() as visitor:
        for n in range(10):
            visitor.sign_up(f"user{n}@example.org")
            visitor.post_form("/sign-out")
        eleventh = visitor.post_form("/sign-up", {"email": "user10@example.org", "password": PASSWORD})
    assert eleventh.status_code == 429 and "Too many sign-ups from your address" in eleventh.text
    with make_visitor.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 10


def test_votes_are_limited_per_account(make_visitor):
    with make_visitor({"vote": {"account": "3/minute"}}) as visitor:
        visitor.sign_up()
        statuses = [visitor.api("POST", "/papers/1706.03762/" + ("vote", "unvote")[n % 2]).status_code
                    for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    with make_visitor.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(votes)).scalar_one() == 1


def test_the_setting_turns_limits_off(make_visitor):
    with make_visitor(rate_limits=False) as visitor:
        for n in range(11):
            visitor.sign_up(f"user{n}@example.org")
            visitor.post_form("/sign-out")
