"""The names readers give to things (collections, API tokens): one line, whitespace collapsed, not
blank, bounded. One rule, so a name reads the same on every page that shows it."""

from __future__ import annotations

from paperfeed.errors import InvalidInput


def clean_label(text: str, max_length: int, *, blank: str, too_long: str) -> str:
    """`text` on one line with its whitespace collapsed; InvalidInput with `blank` or `too_long` otherwise."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput(blank)
    if len(cleaned) > max_length:
        raise InvalidInput(too_long)
    return cleaned
