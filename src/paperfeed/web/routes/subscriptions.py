"""Digest subscriptions on the web: the subscribe form and POST /api/subscriptions, the confirmation
page, the preferences page, and one-click unsubscribe (RFC 8058). The flows live in digest/signup.py;
links in mails carry signed tokens (digest/tokens.py), and the token, not a session, says whose
subscription a page is about.

A page reached from a mail only shows a button on GET and acts on POST, so a link scanner that
fetches every URL in a mail changes nothing. Forms carry the session's CSRF token like every form of
the site. The one exception is POST /unsubscribe: a mail client sends it for the reader
(`List-Unsubscribe-Post: List-Unsubscribe=One-Click`) without any session, so it is a plain route
outside the app-wide CSRF check, and the signed token is the authority.

A reader signed in with the subscription's own address also chooses there which of their collections
ranks the digest's "For you" (an interest of kind "collection"); anyone else holding the link keeps
that choice as it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperfeed.config import Settings
from paperfeed.db.collections import Collection, list_collections, require_collections
from paperfeed.db.users import User
from paperfeed.digest.mailer import Mailer
from paperfeed.digest.signup import confirm, subscribe, subscriber_for_token, unsubscribe, update_preferences
from paperfeed.digest.subscriptions import (
    MAX_INTERESTS,
    SubscriptionInvalid,
    collection_interest,
    parse_request,
    split_categories,
    split_lines,
)
from paperfeed.digest.tokens import LinkSigner
from paperfeed.emails import email_key
from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.models import Subscriber
from paperfeed.web.accounts_setup import client_address
from paperfeed.web.api_models import API_ERRORS, SubscriptionAccepted, SubscriptionIn
from paperfeed.web.deps import EngineDep, SettingsDep, UserDep
from paperfeed.web.render import JsonResponse, has_form_body, respond, wants_json

log = logging.getLogger(__name__)
router = APIRouter()

TextField = Annotated[str, Form()]
CHECK_INBOX = "Check your inbox: we sent a confirmation link. Nothing else is sent until you follow it."


class MailUnavailable(PaperfeedError):
    status_code = 503


def _signer(request: Request) -> LinkSigner:
    """One signer per app (the key is resolved, and any development warning logged, once)."""
    signer = getattr(request.app.state, "digest_signer", None)
    if signer is None:
        signer = request.app.state.digest_signer = LinkSigner.from_settings(request.app.state.settings)
    return signer


def _now() -> datetime:
    return datetime.now(UTC)


def _subscriber_json(subscriber: Subscriber) -> dict:
    return {
        "email": subscriber.email, "status": subscriber.status, "frequency": subscriber.frequency,
        "timezone": subscriber.timezone,
        "interests": [{"kind": i.kind, "value": i.value} for i in subscriber.interests],
    }


def _form_values(subscriber: Subscriber | None = None, **values) -> dict:
    """What the subscription form shows: a subscriber's settings, or what was typed."""
    if subscriber is not None:
        values = {
            "email": subscriber.email, "frequency": subscriber.frequency, "timezone": subscriber.timezone,
            "categories": subscriber.of_kind("category"), "queries": "\n".join(subscriber.of_kind("query")),
            "authors": "\n".join(subscriber.of_kind("author")),
            "for_you_collection": next(iter(subscriber.of_kind("collection")), ""),
        }
    return {"email": "", "frequency": "daily", "timezone": "", "categories": [], "queries": "", "authors": "",
            "for_you_collection": "", **values}


def _parse_form(email: str, frequency: str, timezone: str, category: list[str], other_categories: str,
                queries: str, authors: str, settings: Settings):
    categories = [*category, *split_categories(other_categories)]
    return parse_request(email, frequency=frequency, timezone=timezone or settings.digest_timezone,
                         categories=categories, queries=split_lines(queries), authors=split_lines(authors))


def _request_subscription(request: Request, engine, settings: Settings, subscription) -> None:
    """Store the request and mail the confirmation (or, for a subscribed address, its preferences link)."""
    request.app.state.rate_limiter.hit("subscribe", ip=client_address(request))
    if not settings.smtp_host:
        outcome = subscribe(engine, settings, _signer(request), subscription, _now())
        if settings.environment == "development":
            log.warning("no SMTP server: the link for %s is %s", subscription.email, outcome.link)
        raise MailUnavailable("this site cannot send mail yet (no SMTP server is configured): ask its operator")
    # One quick retry at most: a visitor is waiting. A server that stays down is a 502 saying to try later.
    quick = settings.model_copy(update={"digest_send_retries": min(settings.digest_send_retries, 1),
                                        "digest_retry_delay_s": min(settings.digest_retry_delay_s, 0.5)})
    with Mailer(quick) as mailer:
        subscribe(engine, settings, _signer(request), subscription, _now(), mailer)


def _subscribe_form_page(request: Request, settings: Settings, values: dict, errors: dict | None = None,
                         status_code: int = 200) -> Response:
    context = {"values": values, "errors": errors or {}, "choices": settings.categories,
               "max_interests": MAX_INTERESTS}
    return respond(request, "subscriptions/subscribe.html", context,
                   {"csrf_token": getattr(request.state, "csrf_token", ""), "errors": errors or {}},
                   status_code=status_code)


@router.get("/subscriptions", summary="The digest subscription form")
def subscribe_page(request: Request, settings: SettingsDep, user: UserDep):
    return _subscribe_form_page(request, settings, _form_values(email=user.email if user else ""))


@router.post("/subscriptions", summary="Subscribe to the digest (form); a confirmation link is mailed")
def subscribe_form(request: Request, engine: EngineDep, settings: SettingsDep, email: TextField = "",
                   frequency: TextField = "daily", timezone: TextField = "",
                   category: Annotated[list[str] | None, Form()] = None, other_categories: TextField = "",
                   queries: TextField = "", authors: TextField = ""):
    try:
        subscription = _parse_form(email, frequency, timezone, category or [], other_categories, queries, authors,
                                   settings)
    except SubscriptionInvalid as exc:
        if wants_json(request):
            raise
        values = _form_values(email=email, frequency=frequency, timezone=timezone, categories=category or [],
                              other_categories=other_categories, queries=queries, authors=authors)
        return _subscribe_form_page(request, settings, values, exc.errors, status_code=400)
    _request_subscription(request, engine, settings, subscription)
    return respond(request, "subscriptions/notice.html", {"title": "Check your inbox", "message": CHECK_INBOX},
                   {"email": subscription.email, "message": CHECK_INBOX})


@router.post("/api/subscriptions", status_code=202, response_model=SubscriptionAccepted, responses=API_ERRORS,
             summary="Subscribe to the digest (JSON, with X-CSRF-Token); a confirmation link is mailed")
def api_subscribe(request: Request, body: SubscriptionIn, engine: EngineDep, settings: SettingsDep):
    subscription = parse_request(body.email, frequency=body.frequency,
                                 timezone=body.timezone or settings.digest_timezone, categories=body.categories,
                                 queries=body.queries, authors=body.authors)
    _request_subscription(request, engine, settings, subscription)
    # The same answer whether or not the address was subscribed already: it tells a stranger nothing.
    accepted = SubscriptionAccepted(email=subscription.email, message=CHECK_INBOX)
    return JsonResponse(accepted.model_dump(), status_code=202)


@router.get("/subscriptions/confirm", summary="The confirmation page a digest's confirmation mail links to")
def confirm_page(request: Request, engine: EngineDep, token: str = ""):
    subscriber = subscriber_for_token(engine, _signer(request), "confirm", token, _now())
    return respond(request, "subscriptions/confirm.html", {"subscriber": subscriber, "token": token},
                   _subscriber_json(subscriber))


@router.post("/subscriptions/confirm", summary="Confirm a subscription (the token from the mail)")
def confirm_form(request: Request, engine: EngineDep, token: TextField = ""):
    signer = _signer(request)
    subscriber = confirm(engine, signer, token, _now())
    manage_url = signer.url("manage", subscriber.id, subscriber.email, _now())
    message = f"{subscriber.email} is subscribed: the first {subscriber.frequency} digest comes with the next papers."
    return respond(request, "subscriptions/notice.html",
                   {"title": "Subscribed", "message": message, "manage_url": manage_url},
                   _subscriber_json(subscriber))


def _own_collections(engine, user: User | None, subscriber: Subscriber) -> list[Collection] | None:
    """The signed-in reader's collections when the subscription is theirs (their address); else None."""
    if user is None or email_key(user.email) != email_key(subscriber.email):
        return None
    with engine.connect() as conn:
        return list_collections(conn, user.id)


def _collection_choice(engine, user: User | None, subscriber: Subscriber, value: str) -> tuple:
    """The collection interest the form asks for: only the subscription's own reader chooses one (of their
    own collections: another's id is not found); anyone else keeps the one there is."""
    if _own_collections(engine, user, subscriber) is None:
        if value.strip():
            raise InvalidInput(f"sign in as {subscriber.email} to rank this digest by one of your collections")
        return tuple(i for i in subscriber.interests if i.kind == "collection")
    interest = collection_interest(value)
    if interest is None:
        return ()
    with engine.connect() as conn:
        require_collections(conn, user.id, [int(interest.value)])
    return (interest,)


def _manage_page(request: Request, settings: Settings, subscriber: Subscriber, token: str, *, values=None,
                 errors=None, saved: bool = False, status_code: int = 200, collections=None) -> Response:
    unsubscribe_url = _signer(request).url("unsubscribe", subscriber.id, subscriber.email, _now())
    context = {"subscriber": subscriber, "token": token, "values": values or _form_values(subscriber),
               "errors": errors or {}, "saved": saved, "choices": settings.categories,
               "unsubscribe_url": unsubscribe_url, "max_interests": MAX_INTERESTS, "collections": collections}
    return respond(request, "subscriptions/manage.html", context,
                   {**_subscriber_json(subscriber), "errors": errors or {}}, status_code=status_code)


@router.get("/subscriptions/manage", summary="A subscriber's preferences (the link in every digest)")
def manage_page(request: Request, engine: EngineDep, settings: SettingsDep, user: UserDep, token: str = ""):
    subscriber = subscriber_for_token(engine, _signer(request), "manage", token, _now())
    return _manage_page(request, settings, subscriber, token, collections=_own_collections(engine, user, subscriber))


@router.post("/subscriptions/manage", summary="Change frequency, time zone and interests")
def manage_form(request: Request, engine: EngineDep, settings: SettingsDep, user: UserDep, token: TextField = "",
                frequency: TextField = "daily", timezone: TextField = "",
                category: Annotated[list[str] | None, Form()] = None, other_categories: TextField = "",
                queries: TextField = "", authors: TextField = "", for_you_collection: TextField = ""):
    signer = _signer(request)
    subscriber = subscriber_for_token(engine, signer, "manage", token, _now())
    collections = _own_collections(engine, user, subscriber)
    try:
        subscription = _parse_form(subscriber.email, frequency, timezone, category or [], other_categories,
                                   queries, authors, settings)
    except SubscriptionInvalid as exc:
        if wants_json(request):
            raise
        values = _form_values(email=subscriber.email, frequency=frequency, timezone=timezone,
                              categories=category or [], other_categories=other_categories, queries=queries,
                              authors=authors, for_you_collection=for_you_collection)
        return _manage_page(request, settings, subscriber, token, values=values, errors=exc.errors, status_code=400,
                            collections=collections)
    chosen = _collection_choice(engine, user, subscriber, for_you_collection)
    subscription = dataclasses.replace(subscription, interests=subscription.interests + chosen)
    subscriber = update_preferences(engine, signer, token, subscription, _now())
    return _manage_page(request, settings, subscriber, token, saved=True, collections=collections)


@router.get("/unsubscribe", summary="Unsubscribe page: a button (nothing changes on GET)")
def unsubscribe_page(request: Request, engine: EngineDep, token: str = ""):
    subscriber = subscriber_for_token(engine, _signer(request), "unsubscribe", token, _now())
    return respond(request, "subscriptions/unsubscribe.html", {"subscriber": subscriber, "token": token, "done": False},
                   _subscriber_json(subscriber))


async def one_click_unsubscribe(request: Request) -> Response:
    """POST /unsubscribe?token=...: RFC 8058 one-click unsubscribe, and the button of the page above."""
    token = request.query_params.get("token")
    if not token and has_form_body(request):
        with contextlib.suppress(ValueError):
            token = (await request.form()).get("token")
    subscriber = await run_in_threadpool(unsubscribe, request.app.state.engine, _signer(request), token or "", _now())
    manage_url = _signer(request).url("manage", subscriber.id, subscriber.email, _now())
    return respond(request, "subscriptions/unsubscribe.html",
                   {"subscriber": subscriber, "token": token, "done": True, "manage_url": manage_url},
                   _subscriber_json(subscriber))


# A plain Starlette route: FastAPI's app-wide dependencies (the CSRF check) apply to API routes only.
router.add_route("/unsubscribe", one_click_unsubscribe, methods=["POST"], include_in_schema=False)
