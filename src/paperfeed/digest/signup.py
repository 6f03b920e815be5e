"""Subscribing, confirming, changing preferences and unsubscribing: the store plus the confirmation mail.
The CLI and the web app both call these; the rules live in subscriptions.py, the links in tokens.py.

Double opt-in: a new (or returning) address is stored as pending and gets a confirmation link; nothing
else is mailed to it until the link is followed. An address that is subscribed already gets a link to
its preferences instead, so the form never tells a stranger whether an address is subscribed, and
never lets one change someone else's interests.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.db import subscriptions as store
from paperfeed.digest.message import already_subscribed_message, confirmation_message
from paperfeed.digest.tokens import LinkSigner
from paperfeed.errors import InvalidInput
from paperfeed.models import ACTIVE, BOUNCING, PENDING, UNSUBSCRIBED, Subscriber, SubscriptionRequest

log = logging.getLogger(__name__)

RESEND_AFTER = timedelta(minutes=5)  # one confirmation mail per address per 5 minutes: the form cannot mail-bomb


@dataclass(frozen=True, slots=True)
class SignupOutcome:
    subscriber_id: int
    email: str
    needs_confirmation: bool  # False: the address was subscribed already and got its preferences link
    link: str  # the confirmation link, or the preferences link
    mailed: bool  # False when no SMTP server is configured, or a mail went out moments ago


def subscribe(engine: sa.Engine, settings: Settings, signer: LinkSigner, request: SubscriptionRequest,
              now: datetime, mailer=None) -> SignupOutcome:
    """Store the request (pending) and mail the confirmation link when a mailer is given."""
    with engine.begin() as conn:
        existing = store.find_subscriber(conn, request.email)
        if existing is None:
            subscriber_id = store.create_subscriber(conn, request, PENDING, now)
        elif existing.status == ACTIVE:
            subscriber_id = existing.id
        else:  # pending, unsubscribed or bouncing: the new request replaces the old one, to be confirmed
            subscriber_id = existing.id
            store.update_settings(conn, subscriber_id, request)
            store.set_status(conn, subscriber_id, PENDING, now)
        last_mail_at = store.confirmation_sent_at(conn, subscriber_id)
    needs_confirmation = existing is None or existing.status != ACTIVE
    if needs_confirmation:
        link = signer.url("confirm", subscriber_id, request.email, now)
        message = confirmation_message(settings, request, link, now)
    else:
        link = signer.url("manage", subscriber_id, request.email, now)
        message = already_subscribed_message(settings, request.email, link, now)
    mailed = False
    if mailer is not None and (last_mail_at is None or now - last_mail_at >= RESEND_AFTER):
        mailer.send(message)  # raises SourceError when the server cannot take it: the user should try again
        with engine.begin() as conn:
            store.note_confirmation_sent(conn, subscriber_id, now)
        mailed = True
    elif mailer is None:
        log.info("no SMTP server configured: not mailing %s", request.email)
    return SignupOutcome(subscriber_id, request.email, needs_confirmation, link, mailed)


def _subscriber_for(conn: sa.Connection, signer: LinkSigner, purpose: str, token: str, now: datetime) -> Subscriber:
    claim = signer.read(purpose, token, now)
    subscriber = store.get_subscriber(conn, claim.subscriber_id)
    if not claim.matches(subscriber.email):
        raise InvalidInput("this link is not valid: it belongs to another subscription")
    return subscriber


def subscriber_for_token(engine: sa.Engine, signer: LinkSigner, purpose: str, token: str, now: datetime) -> Subscriber:
    """Who a link is for, checked (for pages that show a confirm button before acting)."""
    with engine.connect() as conn:
        return _subscriber_for(conn, signer, purpose, token, now)


def confirm(engine: sa.Engine, signer: LinkSigner, token: str, now: datetime) -> Subscriber:
    """Follow a confirmation link: the subscription becomes active (again: following it twice is fine)."""
    with engine.begin() as conn:
        subscriber = _subscriber_for(conn, signer, "confirm", token, now)
        if subscriber.status == UNSUBSCRIBED:
            raise InvalidInput("this subscription was cancelled after the link was sent: subscribe again")
        if subscriber.status in (PENDING, BOUNCING):
            store.set_status(conn, subscriber.id, ACTIVE, now)
        return store.get_subscriber(conn, subscriber.id)


def unsubscribe(engine: sa.Engine, signer: LinkSigner, token: str, now: datetime) -> Subscriber:
    """One-click unsubscribe (RFC 8058): the token is the authority; doing it twice is fine."""
    with engine.begin() as conn:
        subscriber = _subscriber_for(conn, signer, "unsubscribe", token, now)
        if subscriber.status != UNSUBSCRIBED:
            store.set_status(conn, subscriber.id, UNSUBSCRIBED, now)
        return store.get_subscriber(conn, subscriber.id)


def unsubscribe_address(engine: sa.Engine, email: str, now: datetime) -> Subscriber:
    """The operator's way (`paperfeed unsubscribe`), e.g. for requests sent to the List-Unsubscribe mailbox."""
    with engine.begin() as conn:
        subscriber = store.find_subscriber(conn, email)
        if subscriber is None:
            raise InvalidInput(f"{email} is not subscribed")
        store.set_status(conn, subscriber.id, UNSUBSCRIBED, now)
        return store.get_subscriber(conn, subscriber.id)


def update_preferences(engine: sa.Engine, signer: LinkSigner, token: str, request: SubscriptionRequest,
                       now: datetime) -> Subscriber:
    """Change frequency, time zone and interests through a preferences link. Saving them re-activates an
    unsubscribed address: the link was mailed to it, which proves the mailbox is the reader's."""
    with engine.begin() as conn:
        subscriber = _subscriber_for(conn, signer, "manage", token, now)
        if request.email != subscriber.email:
            raise InvalidInput("the address cannot be changed: unsubscribe and subscribe the new address")
        store.update_settings(conn, subscriber.id, request)
        if subscriber.status in (UNSUBSCRIBED, BOUNCING):
            store.set_status(conn, subscriber.id, ACTIVE, now)
        return store.get_subscriber(conn, subscriber.id)
