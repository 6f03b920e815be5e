"""Rate limits on sign-in, sign-up, votes, ratings, library changes and imports, submissions, API tokens
and the requests made with them, per client address and per account.

Moving windows from the `limits` library, counted in this process's memory: right for one
server process. Several workers or hosts would each count on their own; give them a shared
store instead (RateLimiter(storage_uri="redis://host:6379") or "memcached://host:11211",
which `limits` supports with the redis or pymemcache package installed).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.exceptions import HTTPException

# action -> {"ip" or "account": rule in the `limits` notation}. Sign-ins are counted per email
# too, so guessing one account's password from many addresses is slow as well.
DEFAULT_RULES: Mapping[str, Mapping[str, str]] = {
    "sign-in": {"ip": "20/minute", "account": "10 per 15 minutes"},
    "sign-up": {"ip": "10/hour"},
    "vote": {"ip": "120/minute", "account": "60/minute"},
    # A reader's private library, counted like votes: ratings, and saves with every change to them.
    "rate": {"ip": "120/minute", "account": "60/minute"},
    "library": {"ip": "120/minute", "account": "60/minute"},
    # An import may fetch each paper missing from the store from arXiv: a few an hour.
    "import": {"ip": "30/hour", "account": "10/hour"},
    "submit": {"ip": "30/hour", "account": "10/hour"},
    "create-token": {"ip": "30/hour", "account": "10/hour"},
    # Posting and editing comments: a lively discussion, not a flood.
    "comment": {"ip": "60/hour", "account": "30/hour"},
    # Every request made with an API token, counted per account (however many tokens it has), on top
    # of the vote and submission limits, which count a script's requests like a browser's.
    "api-request": {"account": "600/minute"},
}
_WHAT = {"sign-in": "sign-in attempts", "sign-up": "sign-ups", "vote": "votes", "submit": "submissions",
         "create-token": "new API tokens", "api-request": "API requests", "rate": "ratings",
         "library": "changes to your library", "import": "imports", "comment": "comments"}


class RateLimited(HTTPException):
    """HTTP 429 with Retry-After: the whole seconds until the next attempt is allowed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, rules: Mapping[str, Mapping[str, str]] = DEFAULT_RULES, storage_uri: str = "memory://") -> None:
        self._rules = {
            action: {scope: parse(rule) for scope, rule in scopes.items()} for action, scopes in rules.items()
        }
        self._window = MovingWindowRateLimiter(storage_from_string(storage_uri))

    @classmethod
    def disabled(cls) -> RateLimiter:
        return cls(rules={})

    def hit(self, action: str, *, ip: str | None = None, account: str | None = None) -> None:
        """Count one attempt at `action`; RateLimited if the address or the account has used up its allowance."""
        for scope, key in (("ip", ip), ("account", account)):
            rule = self._rules.get(action, {}).get(scope)
            if rule is None or key is None:
                continue
            if not self._window.hit(rule, action, scope, key):
                reset_at = self._window.get_window_stats(rule, action, scope, key).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                by = "from your address" if scope == "ip" else "for this account"
                raise RateLimited(
                    f"Too many {_WHAT.get(action, action)} {by}: try again in {wait_in_words(retry_after)}.",
                    retry_after,
                )


def wait_in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
