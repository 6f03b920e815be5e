"""Paper identity: arXiv ids, DOIs, title fingerprints and the key a paper is stored under."""

from __future__ import annotations

import pytest

from paperfeed.identity import normalize_doi, paper_key, split_arxiv_id, title_key
from paperfeed.normalize import clean_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2104.12255", ("2104.12255", None)),
        ("0704.0001", ("0704.0001", None)),  # the first new-style id: four digits after the dot
        ("2104.12255v2", ("2104.12255", 2)),
        ("2104.12255v12", ("2104.12255", 12)),
        ("  2104.12255v1\n", ("2104.12255", 1)),
        ("arXiv:2104.12255", ("2104.12255", None)),
        ("ARXIV:2104.12255v3", ("2104.12255", 3)),
        ("http://arxiv.org/abs/2104.12255v2", ("2104.12255", 2)),
        ("https://arxiv.org/pdf/2104.12255v3.pdf", ("2104.12255", 3)),
        ("https://arxiv.org/abs/2104.12255", ("2104.12255", None)),
        ("oai:arXiv.org:2104.12255", ("2104.12255", None)),
        ("astro-ph/0601001", ("astro-ph/0601001", None)),
        ("astro-ph/0601001v2", ("astro-ph/0601001", 2)),
        ("hep-th/9901001v3", ("hep-th/9901001", 3)),
        ("math.GT/0309136", ("math.GT/0309136", None)),
        ("http://arxiv.org/abs/math.GT/0309136v1", ("math.GT/0309136", 1)),
        ("arXiv:cond-mat/0102536v1", ("cond-mat/0102536", 1)),
    ],
)
def test_split_arxiv_id(text, expected):
    assert split_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello world",
        "1234.5",  # too few digits after the dot
        "2104.123",
        "abc/123",  # old style needs seven digits
        "astro-ph/06010012",  # eight digits: not an id, not a truncated one either
        "2104.123456",  # six digits: not 2104.12345
        "21041.12255",  # five digits before the dot: not 1041.12255
        "10.1000/xyz",
    ],
)
def test_split_arxiv_id_rejects_junk(text):
    with pytest.raises(ValueError, match="not an arXiv id"):
        split_arxiv_id(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1000/xyz", "10.1000/xyz"),
        ("10.1000/XYZ", "10.1000/xyz"),  # DOIs are case-insensitive
        ("https://doi.org/10.1000/XYZ", "10.1000/xyz"),
        ("http://dx.doi.org/10.1038/nature14539", "10.1038/nature14539"),
        ("doi:10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("  10.1000/abc.  ", "10.1000/abc"),  # sentence punctuation is not part of it
        ("10.1000/abc;", "10.1000/abc"),
        ("10.48550/arXiv.2104.12255", "10.48550/arxiv.2104.12255"),
        ("10.1000/a 10.1000/b", "10.1000/a"),  # several DOIs: the first one
        ("10.12/abc", None),  # registrant code too short
        ("not a doi", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_doi(text, expected):
    assert normalize_doi(text) == expected


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Attention Is All You Need", "attention is all you need", True),
        ("Attention Is All You Need", "ATTENTION IS ALL YOU NEED", True),
        ("Gödel's Theorem", "Godel's Theorem", True),
        ("Gödel", "Go\u0308del", True),  # composed and decomposed ö
        ("Gödel", clean_text(r"G{\"o}del"), True),  # the LaTeX spelling, once normalized
        ("Straße", "STRASSE", True),  # casefold, not lower
        ("BERT: Pre-training of Deep Bidirectional Transformers",
         "BERT -- Pre-training of deep, bidirectional transformers!", True),
        ("{BERT}: Pre-training", "BERT: Pre-training", True),  # LaTeX braces do not count
        ("Scaling  for\n Contrastive Loss", "Scaling for Contrastive Loss", True),
        ("深度学习", "深度学习", True),
        ("Attention Is All You Need", "Attention Is Not All You Need", False),
        ("Deep Residual Learning", "Deep Residual Learning 2", False),
        ("Gödel", "Goedel", False),  # a different spelling, not an accent
        ("深度学习", "机器学习", False),
    ],
)
def test_title_key(a, b, same):
    assert (title_key(a) == title_key(b)) is same


def test_title_key_is_pinned():
    # Stored in papers.title_key: a change of algorithm would need a migration, not a silent drift.
    assert title_key("Attention Is All You Need") == "eb0c7554fe4d6c92fe456cb8"


@pytest.mark.parametrize(
    ("arxiv_id", "doi", "title", "first_author", "expected"),
    [
        ("2104.12255", "10.1000/x", "T", "A", "2104.12255"),  # arXiv beats DOI
        ("astro-ph/0601001", None, "T", "A", "astro-ph/0601001"),
        (None, "10.1000/x", "T", "A", "doi:10.1000/x"),  # DOI beats the hash
        (None, None, "Attention Is All You Need", "Ashish Vaswani", "h:"),
        (None, None, "Attention Is All You Need", None, "h:"),
    ],
)
def test_paper_key_prefers_arxiv_then_doi_then_hash(arxiv_id, doi, title, first_author, expected):
    key = paper_key(arxiv_id, doi, title, first_author)
    assert key.startswith("h:") if expected == "h:" else key == expected


def test_paper_key_hash_is_stable_and_tells_authors_apart():
    key = paper_key(None, None, "Attention Is All You Need", "Ashish Vaswani")
    # Pinned: changing it would give every stored title-only paper a new key.
    assert key == "h:c992b677f7d7f921"
    assert key == paper_key(None, None, "attention is all you need!", "ASHISH VASWANI")
    assert key == paper_key(None, None, "Attention Is All You Need", "Ashish  Vaswani")
    assert key != paper_key(None, None, "Attention Is All You Need", "Noam Shazeer")
    assert key != paper_key(None, None, "Attention Is All You Need", None)
    assert key != paper_key(None, None, "Attention Is Not All You Need", "Ashish Vaswani")
