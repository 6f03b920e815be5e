"""Turning stored text into safe HTML: escaped text, search terms in <mark>, math in spans for KaTeX.

Everything is escaped first (titles and abstracts may hold HTML or script); only the tags made
here are markup. Math becomes `<span class="math" data-tex="...">$source$</span>`: without
JavaScript (or without the KaTeX files) the source shows as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from paperfeed.web.mathtext import split_math

MAX_TERMS = 20


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """Words starting with any of the terms (so 'model' marks 'models' too), case-insensitively."""
    words = sorted({t.casefold() for t in terms if len(t) >= 2}, key=len, reverse=True)[:MAX_TERMS]
    if not words:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)


def highlighted(text: str, pattern: re.Pattern[str] | None) -> Markup:
    """`text` escaped, with the pattern's matches wrapped in <mark>."""
    if pattern is None:
        return escape(text)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group())
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def rich_text(text: str | None, terms: Iterable[str] = ()) -> Markup:
    """The Jinja filter `rich`: escaped text with marked terms and math spans."""
    if not text:
        return Markup("")
    pattern = term_pattern(terms)
    parts: list[Markup] = []
    for segment in split_math(text):
        if segment.is_math:
            display = Markup(' data-display="true"') if segment.display else Markup("")
            parts.append(Markup('<span class="math" data-tex="%s"%s>%s</span>') % (segment.tex, display, segment.text))
        else:
            parts.append(highlighted(segment.text, pattern))
    return Markup("").join(parts)


def http_url(url: str | None) -> str:
    """The URL if it is http(s), else '': a stored link must never become a `javascript:` href."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return ""
