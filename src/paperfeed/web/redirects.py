"""Where to send a visitor back to after a form: only to a path on this site, never elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a local path ('/papers/2104.12255?x=1'), else `default`.

    Refused: absolute and scheme-relative URLs ('https://evil.example', '//evil.example'),
    backslashes (browsers read '/\\evil.example' as '//evil.example') and control characters.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def back_to(request: Request, next_path: str | None, fallback: str) -> str:
    """The page a form was on: its `next` field, else the Referer when it is this site, else `fallback`."""
    if not next_path:
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc and referer.netloc == request.url.netloc:
            next_path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(next_path, fallback)
