"""/admin/status: `paperfeed status` as a page (and its JSON), for the instance's admins alone."""

from __future__ import annotations

from fastapi import APIRouter, Request

from paperfeed.db.users import is_admin
from paperfeed.errors import Forbidden
from paperfeed.status import instance_status
from paperfeed.web.deps import EngineDep, SettingsDep, UserDep
from paperfeed.web.library import PRIVATE, signed_in
from paperfeed.web.render import respond

router = APIRouter()
ADMINS_ONLY = "Only the instance's admins see its status (the first account, or `paperfeed admin add EMAIL`)."


@router.get("/admin/status", summary="The instance's jobs, intake, indexes, digests and sizes (admins only)")
def status_page(request: Request, engine: EngineDep, settings: SettingsDep, user: UserDep):
    reader = signed_in(user, "Sign in as an admin to see the instance's status.")
    with engine.connect() as conn:
        if not is_admin(conn, reader.id):
            raise Forbidden(ADMINS_ONLY)
    report = instance_status(engine, settings)
    return respond(request, "admin/status.html", {"report": report, "section": "admin"}, report, headers=PRIVATE)
