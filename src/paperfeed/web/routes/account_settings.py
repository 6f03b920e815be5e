"""A reader's settings: for now, whether a comment that names them (@username) sends them a mail."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse

from paperfeed.db.users import mention_mail_wanted, set_mention_mail
from paperfeed.discussion import SETTINGS_PATH
from paperfeed.web.deps import EngineDep, UserDep
from paperfeed.web.render import JsonResponse, respond, wants_json

router = APIRouter()


def _sign_in(request: Request):
    return RedirectResponse("/sign-in?" + urlencode({"next": SETTINGS_PATH}), status_code=303)


@router.get(SETTINGS_PATH, summary="Your account settings")
def settings_page(request: Request, engine: EngineDep, user: UserDep, saved: bool = False):
    if user is None:
        return _sign_in(request)
    with engine.connect() as conn:
        wanted = mention_mail_wanted(conn, user.id)
    return respond(request, "account/settings.html", {"mention_mail": wanted, "saved": saved},
                   {"mentionMail": wanted, "username": user.username})


@router.post(SETTINGS_PATH, summary="Change your account settings (form or JSON)")
def change_settings(request: Request, engine: EngineDep, user: UserDep,
                    mention_mail: Annotated[bool, Form()] = False):
    if user is None:
        return _sign_in(request)
    with engine.begin() as conn:  # an unticked box is not sent at all: absent means off
        set_mention_mail(conn, user.id, mention_mail)
    if wants_json(request):
        return JsonResponse({"mentionMail": mention_mail, "username": user.username})
    return RedirectResponse(SETTINGS_PATH + "?saved=1", status_code=303)
