"""The rules a subscription request must satisfy. Pure: raw form, API or CLI input in, a
SubscriptionRequest (or one clear InvalidInput) out."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from paperfeed.emails import normalize_email
from paperfeed.errors import InvalidInput
from paperfeed.models import FREQUENCIES, Interest, SubscriptionRequest

MAX_INTERESTS = 30
MAX_QUERY_CHARS = 200
MAX_AUTHOR_CHARS = 100
# arXiv categories and whole archives: cs, cs.CL, math.AG, hep-th, astro-ph.CO, cond-mat.mes-hall
_CATEGORY = re.compile(r"^[a-z][a-z-]{0,20}(\.[A-Za-z][A-Za-z-]{0,20})?$")


def subscriber_email(text: str) -> str:
    """A subscriber's address in paperfeed.emails' one form; a non-ASCII local part is refused, as it
    needs SMTPUTF8 all the way to the mailbox."""
    return normalize_email(text, ascii_only=True)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    name = (name or "").strip()
    try:
        if name in _known_zones() or name == "UTC":
            ZoneInfo(name)
            return name
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise InvalidInput(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris or America/New_York")


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def normalize_category(text: str) -> str:
    """'CS.CL' -> 'cs.CL': archives are lower case; the subject keeps its case (cs.CL, but cond-mat.mes-hall)."""
    text = _one_line(text)
    archive, dot, subject = text.partition(".")
    category = archive.lower() + dot + subject
    if not _CATEGORY.match(category):
        raise InvalidInput(f"{text!r} is not an arXiv category: use cs.CL, math.AG, or a whole archive such as cs")
    return category


def _texts(values: Iterable[str], what: str, limit: int) -> list[str]:
    kept = []
    for value in values:
        text = _one_line(value)
        if not text:
            continue
        if len(text) > limit:
            raise InvalidInput(f"{what} {text[:40]!r}... is longer than {limit} characters")
        kept.append(text)
    return kept


class SubscriptionInvalid(InvalidInput):
    """A request with problems: `errors` maps each bad field (email, frequency, timezone, categories,
    queries, authors) to what is wrong with it; the message is all of them on one line."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_request(email: str, *, frequency: str = "daily", timezone: str = "UTC", categories: Iterable[str] = (),
                  queries: Iterable[str] = (), authors: Iterable[str] = ()) -> SubscriptionRequest:
    """A validated request, or SubscriptionInvalid naming every bad field. Duplicates are dropped, order kept."""
    errors: dict[str, str] = {}

    def check(field: str, validate, *args):
        try:
            return validate(*args)
        except InvalidInput as exc:
            errors[field] = str(exc)
            return None

    address = check("email", subscriber_email, email)
    if frequency not in FREQUENCIES:
        errors["frequency"] = f"frequency must be {' or '.join(FREQUENCIES)}, not {frequency!r}"
    zone = check("timezone", check_timezone, timezone)
    interests = [Interest("category", c) for c in check("categories", _categories, categories) or ()]
    interests += [Interest("query", q) for q in check("queries", _texts, queries, "query", MAX_QUERY_CHARS) or ()]
    interests += [Interest("author", a) for a in check("authors", _texts, authors, "author name", MAX_AUTHOR_CHARS)
                  or ()]
    interests = list(dict.fromkeys(interests))
    if len(interests) > MAX_INTERESTS:
        errors.setdefault(
            "categories", f"at most {MAX_INTERESTS} categories, queries and authors together, not {len(interests)}")
    if errors:
        raise SubscriptionInvalid(errors)
    return SubscriptionRequest(address, frequency, zone, tuple(interests))


def _categories(values: Iterable[str]) -> list[str]:
    return [normalize_category(value) for value in values if _one_line(value)]


def collection_interest(value: str | None) -> Interest | None:
    """A reader's choice of the collection whose model ranks their digest's "For you" (its id; whether it
    is theirs is the caller's check); None for the whole library."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(f"{value[:40]!r} is not a collection id")
    return Interest("collection", str(int(value)))


def split_lines(text: str | None) -> list[str]:
    """A form field that takes one item a line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def split_categories(text: str | None) -> list[str]:
    """A form field of categories, separated by commas, spaces or lines."""
    return [part for part in (text or "").replace(",", " ").split() if part]
