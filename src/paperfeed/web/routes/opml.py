"""`/feeds.opml`: every feed of this instance in one OPML 2.0 file, so a feed reader subscribes to all at once.

The daily list, trending, and a folder with each category the instance follows (Settings.categories).
Feeds are RSS 2.0, the format every reader takes; each has an Atom twin at the same path with `.atom`.
ElementTree writes the XML and escapes every attribute, so a category name can never break the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import APIRouter
from starlette.responses import Response

from paperfeed.web.cards import category_path
from paperfeed.web.deps import SettingsDep

router = APIRouter(tags=["feeds"])
OPML_MEDIA_TYPE = "text/x-opml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class FeedOutline:
    title: str
    feed_path: str  # the RSS feed, from the site's root
    page_path: str  # the page whose list the feed holds


@dataclass(frozen=True, slots=True)
class FeedFolder:
    title: str
    feeds: Sequence[FeedOutline]


def instance_feeds(categories: Sequence[str]) -> list[FeedOutline | FeedFolder]:
    """The feeds to offer, in the order a reader shows them: the daily list, trending, then the categories."""
    outlines: list[FeedOutline | FeedFolder] = [
        FeedOutline("Daily papers", "/feeds/daily.rss", "/"),
        FeedOutline("Trending papers · past week", "/feeds/trending.rss?window=week", "/trending?window=week"),
    ]
    followed = [FeedOutline(f"New in {c}", f"/feeds{category_path(c)}.rss", category_path(c))
                for c in dict.fromkeys(categories)]
    if followed:
        outlines.append(FeedFolder("Categories", followed))
    return outlines


def _outline(parent: ET.Element, feed: FeedOutline, site: str) -> None:
    ET.SubElement(parent, "outline", {"type": "rss", "text": feed.title, "title": feed.title,
                                      "xmlUrl": site + feed.feed_path, "htmlUrl": site + feed.page_path})


def render_opml(title: str, outlines: Sequence[FeedOutline | FeedFolder], site: str, created: datetime) -> bytes:
    """The OPML 2.0 document for `outlines`, with absolute URLs under `site`. No I/O: data in, bytes out."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(created.astimezone(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    for item in outlines:
        if isinstance(item, FeedFolder):
            folder = ET.SubElement(body, "outline", {"text": item.title, "title": item.title})
            for feed in item.feeds:
                _outline(folder, feed, site)
        else:
            _outline(body, item, site)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@router.get("/feeds.opml", summary="Every feed of this instance (daily, trending, each followed category) as OPML",
            response_class=Response, responses={200: {"content": {"text/x-opml": {}}}})
def feeds_opml(settings: SettingsDep):
    site = settings.base_url.rstrip("/")
    document = render_opml("paperfeed feeds", instance_feeds(settings.categories), site, datetime.now(UTC))
    return Response(document, media_type=OPML_MEDIA_TYPE,
                    headers={"Content-Disposition": 'inline; filename="paperfeed-feeds.opml"'})
