"""Hybrid search: a keyword leg (BM25), a semantic leg (dense embeddings) and their fusion.

The public front is paperfeed.search.service; everything else in this package is internal.
Every leg shares one shape: a query in, `Ranked` (paper ids and scores, best first) out.
"""
