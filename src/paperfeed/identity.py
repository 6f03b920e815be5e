"""Paper identity: arXiv ids, DOIs and the stable key a paper is stored under, and the keys by which
author names and categories are compared everywhere (search index, filters, author pages, digests).
Pure functions."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

# New-style ids (0704.0001, 2104.12255) and old-style ids (astro-ph/0601001, math.GT/0309136).
# The digit guards keep a longer number ("2104.123456") from being cut down to someone else's id.
# Archive names are short (the longest, like "cond-mat", have 8 characters) and start a word:
# bounding them keeps a search linear, where `[a-z\-]*` took quadratic time on a long run of
# letters (a 100 KB paper key in a URL took two minutes).
_ARXIV_ID = re.compile(
    r"(?:arxiv:)?(?<!\d)(?P<id>\d{4}\.\d{4,5}|(?<![a-z\-])[a-z][a-z\-]{0,15}(?:\.[A-Z]{2})?/\d{7})(?!\d)"
    r"(?:v(?P<v>\d+))?",
    re.IGNORECASE,
)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_NOT_ALNUM = re.compile(r"[\W_]+")
# Latin letters that Unicode does not decompose into a base letter and an accent, folded as tantivy's
# ascii_fold (the keyword index's analyzer) folds them, so "Łukasz" and "Lukasz" are one name everywhere.
_UNDECOMPOSED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l",
                               "æ": "ae", "œ": "oe", "þ": "th", "ŧ": "t"})


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """'http://arxiv.org/abs/2104.12255v2' -> ('2104.12255', 2). Raises ValueError if no id."""
    match = _ARXIV_ID.search(text.strip())
    if not match:
        raise ValueError(f"not an arXiv id: {text!r}")
    version = match.group("v")
    return match.group("id"), int(version) if version else None


def arxiv_id_from_doi(doi: str) -> tuple[str, int | None] | None:
    """arXiv's own DOIs name the paper: '10.48550/arxiv.2106.09685' -> ('2106.09685', None)."""
    prefix = "10.48550/arxiv."
    if doi.lower().startswith(prefix):
        try:
            return split_arxiv_id(doi[len(prefix):])
        except ValueError:
            return None
    return None


def is_arxiv_id(text: str) -> bool:
    return _ARXIV_ID.fullmatch(text.strip()) is not None


def normalize_doi(text: str | None) -> str | None:
    """'https://doi.org/10.1000/XYZ' -> '10.1000/xyz' (DOIs are case-insensitive)."""
    if not text:
        return None
    match = _DOI.search(text.strip())
    return match.group(0).rstrip(".,;").lower() if match else None


def title_key(title: str) -> str:
    """A fingerprint of a title that survives case, accents, punctuation and LaTeX braces."""
    folded = title.casefold()
    if not folded.isascii():
        # Decompose accents so "Gödel" and "Godel" (and "G{\"o}del" after normalization) agree.
        folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    letters = _NOT_ALNUM.sub("", folded)
    return hashlib.blake2b(letters.encode(), digest_size=12).hexdigest()


def name_key(name: str) -> str:
    """How author names compare: case-folded, accents removed, single spaces ("Bernhard  Schölkopf" and
    "bernhard scholkopf" are one key). The one rule for the index, search filters, author pages and digests."""
    folded = name.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_UNDECOMPOSED)
    return " ".join(folded.split())


def category_keys(categories: Iterable[str]) -> list[str]:
    """Each category lowercased, then its archive (cs.CL -> cs.cl, cs), without repeats: a filter or
    an interest in 'cs' matches every cs.* paper."""
    keys = (key for category in categories for key in (category.lower(), category.lower().split(".")[0]))
    return list(dict.fromkeys(key for key in keys if key))


def paper_key(arxiv_id: str | None, doi: str | None, title: str, first_author: str | None) -> str:
    """arXiv id when there is one, else 'doi:<doi>', else 'h:<hash of title and first author>'."""
    if arxiv_id:
        return arxiv_id
    if doi:
        return f"doi:{doi}"
    basis = f"{title_key(title)}|{title_key(first_author or '')}"
    return "h:" + hashlib.blake2b(basis.encode(), digest_size=8).hexdigest()
