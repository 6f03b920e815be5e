"""The one email rule: an account's address and a subscriber's address compare equal for the same
mailbox however it is spelled, and accounts stored in the older Unicode-domain form still sign in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from paperfeed.db.schema import users
from paperfeed.digest.subscriptions import parse_request
from paperfeed.emails import InvalidEmail, email_key, normalize_email
from paperfeed.errors import InvalidInput
from paperfeed.web.accounts import Accounts, FormInvalid

FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
PASSWORD = "correct horse battery"
# One mailbox, four spellings: mixed case, the ASCII (IDNA) domain, a decomposed 'ü' (u + combining diaeresis).
SPELLINGS = ["Ada@Bücher.DE", "ada@xn--bcher-kva.de", " ADA@XN--BCHER-KVA.DE ", "ada@bu\u0308cher.de"]
SPELLING_IDS = ["unicode-mixed-case", "idna", "idna-upper-spaced", "decomposed"]


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_every_spelling_of_a_mailbox_is_one_address(spelling):
    assert normalize_email(spelling) == email_key(spelling) == "ada@xn--bcher-kva.de"


@pytest.mark.parametrize(("text", "ascii_only", "expected"), [
    ("Zoë@Example.org", False, "zoë@example.org"),
    ("  Ada@EXAMPLE.org ", True, "ada@example.org"),
])
def test_local_parts_keep_their_letters_lower_cased(text, ascii_only, expected):
    assert normalize_email(text, ascii_only=ascii_only) == expected


@pytest.mark.parametrize(("text", "ascii_only"), [
    ("", False), ("ada", False), ("ada@", False), ("Zoë@example.org", True),
])
def test_what_is_not_an_address_is_refused_and_keys_as_typed(text, ascii_only):
    with pytest.raises(InvalidEmail, match="is not a valid email address") as refused:
        normalize_email(text, ascii_only=ascii_only)
    assert isinstance(refused.value, InvalidInput) and refused.value.reason
    assert email_key(f" {text.upper()} ") == text.upper().lower()  # a lookup or a rate-limit key never fails


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_an_account_and_a_subscription_of_one_mailbox_have_the_same_address(engine, spelling):
    account = Accounts(engine, FAST_HASHER).sign_up(spelling, "", PASSWORD)
    assert account.email == parse_request(spelling).email


@pytest.mark.parametrize("spelling", SPELLINGS, ids=SPELLING_IDS)
def test_an_account_signs_in_with_any_spelling_of_its_address(engine, spelling):
    accounts = Accounts(engine, FAST_HASHER)
    ada = accounts.sign_up("Ada@Bücher.de", "", PASSWORD)

    assert accounts.sign_in(spelling, PASSWORD) == ada
    with pytest.raises(FormInvalid) as taken:
        accounts.sign_up(spelling, "", "another password")
    assert list(taken.value.errors) == ["email"]


def test_an_account_stored_with_a_unicode_domain_still_signs_in_and_stays_taken(engine):
    """Accounts were stored as 'ada@bücher.de' before the one rule: nobody is locked out or doubled."""
    with engine.begin() as conn:
        conn.execute(users.insert().values(email="ada@bücher.de", password_hash=FAST_HASHER.hash(PASSWORD),
                                           created_at=datetime(2024, 1, 1, tzinfo=UTC)))
    accounts = Accounts(engine, FAST_HASHER)

    for spelling in SPELLINGS:
        assert accounts.sign_in(spelling, PASSWORD).email == "ada@bücher.de"
    with pytest.raises(FormInvalid) as taken:
        accounts.sign_up("ada@xn--bcher-kva.de", "", "another password")
    assert list(taken.value.errors) == ["email"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one() == 1
