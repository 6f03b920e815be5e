"""Parse a user's search box text into a ParsedQuery: free words, "quoted phrases" and ti:/au:/abs:/cat: clauses.

Pure and total: any string parses. Engine syntax (AND, +, -, parentheses, wildcards, unknown `field:`)
is never interpreted; it becomes plain words, so nothing a user types can reach an engine's query
language. What the parser had to change is said in ParsedQuery.notes. Case is kept: lowercasing,
stemming and splitting into engine tokens belong to the keyword leg.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from paperfeed.search.base import FieldClause, ParsedQuery

PREFIXES = {"ti": "title", "au": "authors", "abs": "abstract", "cat": "categories"}
# Clauses whose text is about the paper's subject, so the semantic leg embeds it too.
_TOPICAL_FIELDS = {"title", "abstract"}
MAX_TERMS = 64  # pasted paragraphs belong to the semantic leg; BM25 on hundreds of OR'ed words is noise
MAX_PHRASES = 8
MAX_FIELDS = 16

# Smart and typographic quotes count as the plain double quote.
_QUOTES = str.maketrans({c: '"' for c in "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\uff02"})
_TOKEN = re.compile(
    r'(?P<field>[^\s":]+):"(?P<field_phrase>[^"]*)"'  # au:"Yann LeCun"
    r'|"(?P<phrase>[^"]*)"'  # "a phrase"
    r'|(?P<quote>")'  # a quote with no partner
    r'|(?P<word>[^\s"]+)'  # anything else up to a space or a quote
)
# Query-language characters that separate words; '.', '-' and "'" stay inside words (cs.CL, COVID-19).
_SEPARATORS = re.compile(r"[()\[\]{}^~*?:\\/+!&|<>=,;@#$%`]+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of",
    "on", "or", "that", "the", "this", "to", "was", "were", "which", "with", "we", "our", "these", "those", "their",
    "than", "then", "there", "can", "been", "not", "but", "also", "into", "such", "using", "based",
})  # fmt: skip


def parse_query(text: str, *, max_chars: int = 10_000) -> ParsedQuery:
    """Parse `text`; never raises. An empty result (is_empty) carries the note 'empty query'."""
    notes: list[str] = []
    original = text if isinstance(text, str) else ""
    max_chars = max(0, max_chars)
    # Bound the work before normalizing: NFKC may grow or shrink the text a little.
    text = _clean(original[: max_chars * 2])
    if len(text) > max_chars or len(original) > max_chars * 2:
        cut = text[:max_chars]
        # End at a word boundary unless the cut text is one long word.
        text = cut.rsplit(maxsplit=1)[0] if len(cut.split(maxsplit=1)) > 1 else cut
        notes.append(f"query cut to {max_chars:,} characters")
    terms: list[str] = []
    phrases: list[str] = []
    fields: list[FieldClause] = []
    semantic: list[str] = []
    for match in _TOKEN.finditer(text):
        if match["field"] is not None:
            field = PREFIXES.get(match["field"].lower())
            value = " ".join(match["field_phrase"].split())
            if field and _has_word(value):
                fields.append(FieldClause(field, value, phrase=True))
                semantic.extend([value] if field in _TOPICAL_FIELDS else [])
            elif not field:  # unknown field: its name and the phrase are plain text
                terms.extend(_words(match["field"]))
                _add_phrase(phrases, value)
                semantic.append(f"{match['field']} {value}")
        elif match["phrase"] is not None:
            value = " ".join(match["phrase"].split())
            _add_phrase(phrases, value)
            semantic.append(value)
        elif match["quote"] is not None:
            if "unmatched quote: searched the rest as words" not in notes:
                notes.append("unmatched quote: searched the rest as words")
        else:
            semantic.extend(_word_chunk(match["word"], terms, fields))
    terms = _distinct(terms)
    if len(terms) > MAX_TERMS:
        notes.append(f"long query: kept {MAX_TERMS} of its {len(terms)} distinct words for keyword search")
        terms = _pick_terms(terms, _words(text), MAX_TERMS)
    phrases = _distinct(phrases)
    if len(phrases) > MAX_PHRASES:
        notes.append(f"kept the first {MAX_PHRASES} of {len(phrases)} quoted phrases")
        phrases = phrases[:MAX_PHRASES]
    fields = list(dict.fromkeys(fields))
    if len(fields) > MAX_FIELDS:
        notes.append(f"kept the first {MAX_FIELDS} of {len(fields)} field clauses")
        fields = fields[:MAX_FIELDS]
    parsed = ParsedQuery(
        raw=text,
        terms=tuple(terms),
        phrases=tuple(phrases),
        fields=tuple(fields),
        semantic_text=" ".join(" ".join(semantic).split()),
        notes=tuple(notes),
    )
    if parsed.is_empty:
        return ParsedQuery(raw=text, semantic_text=parsed.semantic_text, notes=(*notes, "empty query"))
    return parsed


def _clean(text: str) -> str:
    """NFKC (full-width letters, ligatures), plain quotes; no control or format characters, no lone surrogates
    (they cannot be encoded as UTF-8, so no engine could take them)."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp"):
            kept.append(" ")
        elif category != "Cf":
            kept.append(char)
    return "".join(kept).strip()


def _word_chunk(chunk: str, terms: list[str], fields: list[FieldClause]) -> list[str]:
    """Handle one space-free chunk: a `prefix:value` clause or plain words. Returns its semantic text."""
    prefix, colon, value = chunk.partition(":")
    field = PREFIXES.get(prefix.lower()) if colon else None
    if field:
        value = " ".join(_words(value)) if field != "categories" else _EDGES.sub("", value)
        if value:
            fields.append(FieldClause(field, value))
        return [value] if field in _TOPICAL_FIELDS else []
    terms.extend(_words(chunk))
    return [chunk]


def _words(text: str) -> list[str]:
    """Plain words of `text`: split at query-language characters and spaces, trimmed of edge punctuation."""
    words = (_EDGES.sub("", piece) for piece in _SEPARATORS.sub(" ", text).split())
    return [word for word in words if _has_word(word)]


def _has_word(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _add_phrase(phrases: list[str], value: str) -> None:
    if _has_word(value):
        phrases.append(value)


def _distinct(items: list[str]) -> list[str]:
    """First spelling of each item, compared case-insensitively, in order."""
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.casefold(), item)
    return list(seen.values())


def _pick_terms(terms: list[str], all_words: list[str], limit: int) -> list[str]:
    """The `limit` most repeated non-stopwords (a pasted abstract repeats its topic), earliest first on ties."""
    counts = Counter(word.casefold() for word in all_words)
    candidates = [term for term in terms if term.casefold() not in _STOPWORDS] or terms
    position = {term: index for index, term in enumerate(terms)}
    chosen = sorted(candidates, key=lambda term: (-counts[term.casefold()], position[term]))[:limit]
    return sorted(chosen, key=position.__getitem__)
