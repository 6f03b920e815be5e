"""The TF-IDF rows the reader model can read beside the embeddings: arxiv-sanity-lite's features
(its compute.py settings) over a paper's document text (title and abstract, never authors), with
20,000 features as issue 11 fixes them. Fitting the vocabulary over the store and keeping the rows is
the caller's; this module only says how."""

from __future__ import annotations

import numpy as np

MAX_FEATURES = 20_000


def tfidf_vectorizer(max_features: int = MAX_FEATURES):
    """An unfitted scikit-learn TfidfVectorizer: word 1-2-grams, English stop words, accents stripped,
    tokens of two or more characters starting with a letter, sublinear tf, df in [5 papers, 50%],
    L2-normalized float32 rows."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode", lowercase=True,
        analyzer="word", stop_words="english", token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2), max_features=max_features, norm="l2", use_idf=True, smooth_idf=True,
        sublinear_tf=True, max_df=0.5, min_df=5, dtype=np.float32,
    )
