"""The TF-IDF vocabulary the reader models read papers through (arxiv-sanity-lite's features,
recommend/tfidf.py), fitted once over a random sample of the store and kept as index data: its terms
and their idf in one .npz (no pickle), named by a key that kept models record, so a model fitted over
another vocabulary is refitted rather than misread.

    vocabulary = Vocabulary.load(path) or Vocabulary.fit(texts)  # then .save(path)
    rows = vocabulary.transform(texts)                           # L2-normalized float32 CSR rows
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperfeed.recommend.tfidf import tfidf_vectorizer

FIT_SAMPLE = 30_000  # papers the vocabulary is fitted over (~17 s on one core); idf settles long before


class Vocabulary:
    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        self.terms = list(terms)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.key = hashlib.sha256("\n".join(self.terms).encode() + self.idf.tobytes()).hexdigest()[:16]
        self._vectorizer = tfidf_vectorizer()
        self._vectorizer.vocabulary_ = {term: i for i, term in enumerate(self.terms)}
        self._vectorizer.idf_ = self.idf
        self._analyzer = self._vectorizer.build_analyzer()

    def __len__(self) -> int:
        return len(self.terms)

    @staticmethod
    def fit(texts: Sequence[str]) -> Vocabulary:
        """Fitted over `texts` (a random sample of the store's document texts). A store too small for
        the vectorizer's minimum document frequency gets a vocabulary of every term instead."""
        vectorizer = tfidf_vectorizer()
        if len(texts) < 50:  # min_df=5 and max_df=0.5 leave nothing of a handful of papers
            vectorizer.set_params(min_df=1, max_df=1.0)
        try:
            vectorizer.fit(texts)
        except ValueError:  # no term left (empty texts): an empty vocabulary ranks by embeddings only
            return Vocabulary([], np.zeros(0))
        terms = vectorizer.get_feature_names_out()
        return Vocabulary(terms.tolist(), vectorizer.idf_)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not self.terms or not len(texts):
            return sp.csr_matrix((len(texts), len(self.terms)), dtype=np.float32)
        return self._vectorizer.transform(texts).tocsr()

    def terms_of(self, text: str) -> set[str]:
        """The vocabulary's terms (words and word pairs) in a text."""
        return {term for term in self._analyzer(text) if term in self._vectorizer.vocabulary_}

    def idf_of(self, term: str) -> float:
        return float(self.idf[self._vectorizer.vocabulary_[term]])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp.npz")
        np.savez(temporary, terms=np.array(self.terms, dtype=np.str_), idf=self.idf)
        temporary.replace(path)

    @staticmethod
    def load(path: Path) -> Vocabulary | None:
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as arrays:
            return Vocabulary(arrays["terms"].tolist(), arrays["idf"])
