"""Building mails: a digest, a confirmation request, an "already subscribed" note, a mention. Pure: data in,
an EmailMessage out (multipart/alternative, plain text first, then HTML); the mailer sends it.

Digests carry RFC 8058 one-click unsubscribe headers. Headers are never folded below 998 characters:
the default 78 would turn a long List-Unsubscribe URL into RFC 2047 encoded words, which mail
clients do not decode in that header.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import quote, urlsplit

from jinja2 import DictLoader, Environment, StrictUndefined

from paperfeed.config import Settings
from paperfeed.digest import mail_templates
from paperfeed.models import Paper, Pick, SubscriptionRequest

MAIL_POLICY = policy.SMTP.clone(max_line_length=998)
SNIPPET_CHARS = 300
SECTION_TITLES = {"for-you": "For you", "interests": "For you", "trending": "Trending"}
INTERESTS_AFTER_FOR_YOU = "Your interests"  # the interests' title when the reader's model has a "For you"


@dataclass(frozen=True, slots=True)
class DigestLinks:
    manage_url: str
    unsubscribe_url: str


@functools.cache
def _templates(autoescape: bool) -> Environment:
    sources = {name: getattr(mail_templates, name) for name in dir(mail_templates) if name.isupper()}
    return Environment(loader=DictLoader(sources), autoescape=autoescape, undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def _render(name: str, **values) -> tuple[str, str]:
    """(plain text, HTML) of the template pair NAME_TEXT / NAME_HTML."""
    return (_templates(False).get_template(f"{name}_TEXT").render(**values),
            _templates(True).get_template(f"{name}_HTML").render(**values))


def sender_address(settings: Settings) -> str:
    """The bare address of PAPERFEED_MAIL_FROM: the envelope sender, where bounces go."""
    return parseaddr(settings.mail_from)[1] or "paperfeed@localhost"


def new_message_id(settings: Settings) -> str:
    return make_msgid("digest", domain=sender_address(settings).rpartition("@")[2] or "localhost")


def _message(settings: Settings, to: str, subject: str, now: datetime, message_id: str | None,
             text: str, html: str) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = settings.mail_from
    message["To"] = Address(addr_spec=to)
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or new_message_id(settings)
    message["Auto-Submitted"] = "auto-generated"  # no vacation auto-replies
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def paper_url(base_url: str, paper: Paper | str) -> str:
    """The page of a paper (or of a paper key), as web/cards.paper_path makes it."""
    key = paper if isinstance(paper, str) else paper.key
    return f"{base_url.rstrip('/')}/papers/{quote(key, safe=':/.@')}"


def period_label(period: str) -> str:
    """'daily:2026-11-23' -> 'Monday 23 November 2026'; 'weekly:2026-W48' -> 'week 48 of 2026'."""
    kind, _, value = period.partition(":")
    if kind == "weekly":
        year, _, week = value.partition("-W")
        return f"week {int(week)} of {year}"
    day = date.fromisoformat(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def _byline(paper: Paper) -> str:
    day = paper.day
    parts = [paper.short_authors, paper.primary_category or "", day.isoformat() if day else ""]
    return " · ".join(part for part in parts if part)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _item(base_url: str, pick: Pick) -> dict:
    paper = pick.paper
    links = [("abstract", paper.abs_url), ("PDF", paper.pdf_url), ("code", paper.code_url)]
    why = pick.why
    return {
        "title": paper.title, "url": paper_url(base_url, paper), "byline": _byline(paper), "reason": pick.reason,
        "snippet": _snippet(paper.abstract), "links": [(label, href) for label, href in links if href],
        # "For you": the library papers it is closest to, linked, and the words it shares with them
        "closest": [(other.title, paper_url(base_url, other)) for other in why.closest] if why else [],
        "shared_words": ", ".join(why.shared_words) if why else "",
    }


def _sections(base_url: str, picks: Sequence[Pick]) -> list[dict]:
    titles = dict(SECTION_TITLES)
    if any(pick.section == "for-you" for pick in picks):
        titles["interests"] = INTERESTS_AFTER_FOR_YOU
    sections = []
    for section, title in titles.items():
        items = [_item(base_url, pick) for pick in picks if pick.section == section]
        if items:
            sections.append({"title": title, "papers": items})
    return sections


def digest_subject(count: int, period: str) -> str:
    papers = "1 new paper" if count == 1 else f"{count} new papers"
    return f"{papers} for you · {period_label(period)}"


def digest_message(settings: Settings, *, to: str, frequency: str, period: str, message_id: str,
                   picks: Sequence[Pick], links: DigestLinks, now: datetime) -> EmailMessage:
    """A subscriber's digest: the picks grouped by section ("For you", the interests, "Trending"), each
    with its reasons."""
    sections = _sections(settings.base_url, picks)
    subject = digest_subject(len(picks), period)
    site = urlsplit(settings.base_url).netloc or settings.base_url
    text, html = _render(
        "DIGEST", subject=subject, headline=subject.split(" · ")[0], period_label=period_label(period),
        sections=sections, manage_url=links.manage_url, unsubscribe_url=links.unsubscribe_url,
        footer=f"You get this {frequency} digest because {to} subscribed to paperfeed at {site}.",
    )
    message = _message(settings, to, subject, now, message_id, text, html)
    mailbox = settings.mail_unsubscribe_to or sender_address(settings)
    message["List-Unsubscribe"] = f"<{links.unsubscribe_url}>, <mailto:{mailbox}?subject=unsubscribe>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["List-Id"] = f"paperfeed {frequency} digest <digest.{sender_address(settings).rpartition('@')[2]}>"
    return message


def _interest_lines(request: SubscriptionRequest) -> list[str]:
    labels = {"category": "new in {}", "query": "papers matching '{}'", "author": "new papers by {}"}
    return [labels[interest.kind].format(interest.value) for interest in request.interests]


def confirmation_message(settings: Settings, request: SubscriptionRequest, link: str, now: datetime) -> EmailMessage:
    subject = "Confirm your paperfeed digest subscription"
    when = f"from {settings.digest_hour}:00" if request.frequency == "daily" else (
        f"on {settings.digest_weekday.capitalize()}s from {settings.digest_hour}:00")
    text, html = _render(
        "CONFIRM", subject=subject, email=request.email, frequency=request.frequency, timezone=request.timezone,
        hour_text=when, interests=_interest_lines(request), link=link, valid_hours=settings.digest_confirm_hours,
    )
    return _message(settings, request.email, subject, now, None, text, html)


def already_subscribed_message(settings: Settings, email: str, link: str, now: datetime) -> EmailMessage:
    subject = "Your paperfeed digest subscription"
    text, html = _render("ALREADY", subject=subject, email=email, link=link)
    return _message(settings, email, subject, now, None, text, html)


MENTION_QUOTE_CHARS = 2_000  # a long comment is cut in the mail; the link has all of it


def mention_message(settings: Settings, *, to: str, author: str, paper_title: str, comment: str, link: str,
                    settings_url: str, now: datetime) -> EmailMessage:
    """A reader was named in a comment: who, on which paper, what they said, and the link to reply."""
    title = " ".join(paper_title.split())
    subject = f"{author} mentioned you on \"{title[:80]}{'...' if len(title) > 80 else ''}\""
    quote_text = comment if len(comment) <= MENTION_QUOTE_CHARS else comment[:MENTION_QUOTE_CHARS] + " [...]"
    text, html = _render("MENTION", subject=subject, author=author, paper_title=title, quote=quote_text,
                         link=link, settings_url=settings_url)
    return _message(settings, to, subject, now, None, text, html)
