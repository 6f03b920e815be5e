"""/healthz and /readyz, for systemd, Docker and Kubernetes probes.

- /healthz: the process answers. 200 `{"status": "ok"}`, touching nothing, so a liveness probe never
  restarts a worker because the database is slow.
- /readyz: this worker can serve: the database answers within READY_TIMEOUT_S and the keyword index
  opens when one has been built. 200 `{"status": "ready", "checks": {...}}`, or 503
  `{"status": "unavailable", "failing": [...], "checks": {...}}` naming the failing checks.

Before `paperfeed index` has ever run there is no keyword index, and the instance is still ready:
every page, feed and API answer works, and the search page says the index is not built. Taking the
instance out of a load balancer for that would turn "search is not there yet" into "nothing is
there", so the check says "not built" without failing. An index that exists but will not open is a
failure: this node's search would be broken while its neighbours' works.

The probes' bodies name a check, never the error behind it (hosts and users of the database stay in
the server log): /readyz answers anyone.

Both (and /metrics) are answered by OpsEndpointsMiddleware (middleware.py), outside the app: no
session, no CSRF, no rate limit, no place in /openapi.json.
"""

from __future__ import annotations

import logging

import anyio
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from paperfeed.db.engine import ping
from paperfeed.web.render import JsonResponse
from paperfeed.web.searcher import LazySearch

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 2.0
NOT_BUILT = "not built yet: pages are served, search says so until `paperfeed index` runs"


async def healthz(scope: Scope, receive: Receive, send: Send) -> None:
    await JsonResponse({"status": "ok"})(scope, receive, send)


async def readyz(scope: Scope, receive: Receive, send: Send) -> None:
    state = scope["app"].state
    checks = {"database": await database_check(state.engine, READY_TIMEOUT_S),
              "keyword_index": await run_in_threadpool(keyword_index_check, state.search)}
    failing = [name for name, (passed, _) in checks.items() if not passed]
    body = {"status": "unavailable" if failing else "ready",
            "checks": {name: found for name, (_, found) in checks.items()}}
    if failing:
        body["failing"] = failing
    await JsonResponse(body, status_code=503 if failing else 200)(scope, receive, send)


async def database_check(engine: sa.Engine, timeout_s: float) -> tuple[bool, str]:
    """(passed, what it found); a database that does not answer in time is abandoned, not waited for."""
    with anyio.move_on_after(timeout_s) as waited:
        try:
            await anyio.to_thread.run_sync(ping, engine, abandon_on_cancel=True)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("readiness: the database is unreachable: %s", str(exc).splitlines()[0])
            return False, "unreachable"
    if waited.cancelled_caught:
        log.warning("readiness: the database gave no answer within %.1f s", timeout_s)
        return False, f"no answer within {timeout_s:g} s"
    return True, "ok"


def keyword_index_check(search: LazySearch) -> tuple[bool, str]:
    if not search.index_built():
        return True, NOT_BUILT  # ready all the same: see the module's docstring
    if search.get() is None:
        return False, "could not be opened (see the server log)"
    return True, "ok"
