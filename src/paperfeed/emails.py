"""Email addresses: the one rule that says when two spellings name the same mailbox, for accounts
(db/users, web/accounts), digest subscribers (digest/subscriptions) and the sign-in rate limit. Pure:
no DNS lookups (a form must not hang on a slow resolver; the confirmation mail is the real test)."""

from __future__ import annotations

import contextlib

from email_validator import EmailNotValidError, validate_email

from paperfeed.errors import InvalidInput


class InvalidEmail(InvalidInput):
    """Not an address; `reason` says why in the validator's words ("There must be something after the @-sign.")."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a valid email address: {reason}")
        self.reason = reason


def normalize_email(text: str, *, ascii_only: bool = False) -> str:
    """The address as paperfeed stores and compares it, or InvalidEmail: spaces around it dropped, Unicode
    normalized, the domain in its ASCII (IDNA) form, which every mail server takes, and all of it lower-cased,
    so 'Ada@Bücher.DE', 'ada@xn--bcher-kva.de' and a decomposed 'ü' are one mailbox. `ascii_only` refuses a
    non-ASCII local part, which needs SMTPUTF8 all the way to the mailbox."""
    try:
        valid = validate_email((text or "").strip(), check_deliverability=False, allow_smtputf8=not ascii_only)
    except EmailNotValidError as exc:
        raise InvalidEmail(text, str(exc)) from None
    return f"{valid.local_part}@{valid.ascii_domain}".lower()


def email_key(text: str) -> str:
    """normalize_email's form of a valid address, anything else stripped and lower-cased: for lookups and
    rate-limit keys, which must not fail on whatever someone typed."""
    try:
        return normalize_email(text)
    except InvalidEmail:
        return (text or "").strip().lower()


def stored_spellings(text: str) -> set[str]:
    """Every form the address may be stored in: email_key's, and the Unicode-domain form ('ada@bücher.de')
    accounts were stored in before this rule, so those accounts still sign in and stay taken."""
    spellings = {email_key(text)}
    with contextlib.suppress(EmailNotValidError):
        spellings.add(validate_email((text or "").strip(), check_deliverability=False).normalized.lower())
    return spellings
