"""Why a paper is recommended, in words a reader checks at a glance: the library papers it is closest
to (recommend's nearest-items ranker names them) and the distinctive words it shares with them. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.foryou.vocabulary import Vocabulary

SHARED_WORDS = 4


def shared_words(vocabulary: Vocabulary, text: str, library_texts: Sequence[str], n: int = SHARED_WORDS) -> list[str]:
    """The rarest (highest-idf) vocabulary terms that `text` shares with any of `library_texts`; a word
    pair is preferred to its single words, which are then not repeated."""
    if not len(vocabulary):
        return []
    library_terms = set().union(*(vocabulary.terms_of(other) for other in library_texts)) if library_texts else set()
    shared = vocabulary.terms_of(text) & library_terms
    pairs = sorted((term for term in shared if " " in term), key=lambda t: (-vocabulary.idf_of(t), t))
    words = sorted((term for term in shared if " " not in term), key=lambda t: (-vocabulary.idf_of(t), t))
    chosen: list[str] = []
    covered: set[str] = set()
    for term in pairs + words:
        if len(chosen) == n:
            break
        if term in covered:
            continue
        chosen.append(term)
        covered.update(term.split())
    return chosen
