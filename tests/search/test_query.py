"""parse_query: one table of inputs, including every odd one, and a loop over random unicode."""

from __future__ import annotations

import random

import pytest

from paperfeed.search.base import FieldClause
from paperfeed.search.query import MAX_TERMS, parse_query

TI, AU, ABS, CAT = "title", "authors", "abstract", "categories"
UNMATCHED = "unmatched quote: searched the rest as words"


@pytest.mark.parametrize(
    ("text", "terms", "phrases", "fields", "notes"),
    [
        ("graph neural networks", ("graph", "neural", "networks"), (), (), ()),
        ("  Graph  graph GRAPH nets ", ("Graph", "nets"), (), (), ()),  # case kept, repeats dropped
        ('"attention is all you need"', (), ("attention is all you need",), (), ()),
        ('diffusion "score  matching" models', ("diffusion", "models"), ("score matching",), (), ()),
        ('au:"Yann LeCun" cnn', ("cnn",), (), (FieldClause(AU, "Yann LeCun", phrase=True),), ()),
        ("au:LeCun", (), (), (FieldClause(AU, "LeCun"),), ()),
        ("cat:cs.CL parsing", ("parsing",), (), (FieldClause(CAT, "cs.CL"),), ()),
        ('cat:"cs.CL"', (), (), (FieldClause(CAT, "cs.CL", phrase=True),), ()),
        ("TI:transformer abs:protein", (), (), (FieldClause(TI, "transformer"), FieldClause(ABS, "protein")), ()),
        ("ti:state-of-the-art", (), (), (FieldClause(TI, "state-of-the-art"),), ()),
        ("ti:foo(bar", (), (), (FieldClause(TI, "foo bar"),), ()),
        ("cat:cs.CL,", (), (), (FieldClause(CAT, "cs.CL"),), ()),
        # unbalanced quotes: the rest is searched as words, with a note
        ('"attention is all you need', ("attention", "is", "all", "you", "need"), (), (), (UNMATCHED,)),
        ('"a b" c "d e', ("c", "d", "e"), ("a b",), (), (UNMATCHED,)),
        ('au:"Yann LeCun', ("Yann", "LeCun"), (), (), (UNMATCHED,)),
        ('5" screen', ("5", "screen"), (), (), (UNMATCHED,)),
        ("\u201csmart quotes\u201d", (), ("smart quotes",), (), ()),
        # engine operators and special characters are plain words, never syntax
        ("cats AND dogs OR NOT birds", ("cats", "AND", "dogs", "OR", "NOT", "birds"), (), (), ()),
        ("+deep -learning", ("deep", "learning"), (), (), ()),
        ("(a OR b) [x TO y] {z}", ("a", "OR", "b", "x", "TO", "y", "z"), (), (), ()),
        ("bert^2 roberta~ gpt* l?ama", ("bert", "2", "roberta", "gpt", "l", "ama"), (), (), ()),
        ("\\escape a/b", ("escape", "a", "b"), (), (), ()),
        ("title:transformers foo:bar", ("title", "transformers", "foo", "bar"), (), (), ()),
        ('year:"2020 results"', ("year",), ("2020 results",), (), ()),
        ("COVID-19: a review", ("COVID-19", "a", "review"), (), (), ()),
        ("http://arxiv.org/abs/2101.00001", ("http", "arxiv.org", "abs", "2101.00001"), (), (), ()),
        ("C++ & C#", ("C",), (), (), ()),
        ("ti: attention", ("attention",), (), (), ()),  # a prefix without a value is dropped
        ('au:"" cat:', (), (), (), ("empty query",)),
        # unicode
        ("ＢＥＲＴ ﬁne-tuning", ("BERT", "fine-tuning"), (), (), ()),  # full-width letters and ligatures
        ("مرحبا بالعالم", ("مرحبا", "بالعالم"), (), (), ()),
        ("\u202bשלום\u202c עולם", ("שלום", "עולם"), (), (), ()),  # bidi controls dropped
        ("zero\u200bwidth", ("zerowidth",), (), (), ()),
        ("深度学习 模型", ("深度学习", "模型"), (), (), ()),
        ("robots 🤖 dream", ("robots", "dream"), (), (), ()),
        ("🤖🤖", (), (), (), ("empty query",)),
        # nothing to search
        ("", (), (), (), ("empty query",)),
        ("   \t\n ", (), (), (), ("empty query",)),
        ("((( ))) ~~ ??", (), (), (), ("empty query",)),
        ('""', (), (), (), ("empty query",)),
        ("\x00\x07", (), (), (), ("empty query",)),
    ],
)
def test_parse_table(text, terms, phrases, fields, notes):
    parsed = parse_query(text)
    assert (parsed.terms, parsed.phrases, parsed.fields, parsed.notes) == (terms, phrases, fields, notes)
    assert parsed.is_empty == (not (terms or phrases or fields))


@pytest.mark.parametrize(
    ("text", "semantic"),
    [
        ('au:"Yann LeCun" cat:cs.LG "energy based" models', "energy based models"),
        ('ti:"graph attention" abs:molecules', "graph attention molecules"),
        ("COVID-19: a   review", "COVID-19: a review"),
        ('"unbalanced phrase', "unbalanced phrase"),
        ("robots 🤖", "robots 🤖"),
    ],
)
def test_semantic_text_is_the_plain_text_without_syntax(text, semantic):
    assert parse_query(text).semantic_text == semantic


def test_long_text_is_cut_at_a_word_boundary_with_a_note():
    words = [f"word{n}" for n in range(3000)]
    parsed = parse_query(" ".join(words), max_chars=10_000)
    assert parsed.notes[0] == "query cut to 10,000 characters"
    assert len(parsed.raw) <= 10_000
    assert parsed.raw.split()[-1] in words  # no half word at the end
    assert len(parsed.semantic_text) > 9_000  # the semantic leg gets the whole (cut) text


def test_one_long_word_is_cut_too():
    parsed = parse_query("x" * 50_000, max_chars=100)
    assert parsed.raw == "x" * 100
    assert parsed.notes == ("query cut to 100 characters",)


def test_pasted_abstract_keeps_the_most_repeated_content_words():
    topic = "graphene " * 5 + "superconductivity " * 4 + "twisted bilayer " * 3
    filler = " ".join(f"filler{n}" for n in range(200))
    parsed = parse_query(f"the of and {topic} {filler} and the of")
    assert len(parsed.terms) == MAX_TERMS
    assert {"graphene", "superconductivity", "twisted", "bilayer"} <= set(parsed.terms)
    assert not {"the", "of", "and"} & set(parsed.terms)  # stopwords go first
    assert parsed.terms.index("graphene") < parsed.terms.index("twisted")  # original order kept
    assert "long query: kept 64 of its 207 distinct words for keyword search" in parsed.notes
    assert "filler199" in parsed.semantic_text


def test_short_queries_keep_their_stopwords():
    assert parse_query("the state of the art").terms == ("the", "state", "of", "art")


def test_many_phrases_and_clauses_are_capped_with_notes():
    parsed = parse_query(" ".join(f'"p{n} q{n}" au:name{n}' for n in range(20)))
    assert len(parsed.phrases) == 8 and len(parsed.fields) == 16
    assert parsed.notes == ("kept the first 8 of 20 quoted phrases", "kept the first 16 of 20 field clauses")


def test_not_a_string_is_an_empty_query():
    assert parse_query(None).notes == ("empty query",)  # type: ignore[arg-type]


def test_random_unicode_never_raises():
    rng = random.Random(20240601)
    alphabet = list('aZ09 "\':()[]{}^~*?\\/+-!&|<>=,.;@#') + ["ti:", "au:", "cat:", "abs:", "AND", "\u200f", "🤖"]
    for _ in range(2_000):
        if rng.random() < 0.5:
            text = "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 40)))  # incl. lone surrogates
        else:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        parsed = parse_query(text, max_chars=30)
        assert len(parsed.raw) <= 30
        assert parsed.is_empty == ("empty query" in parsed.notes)
        for text_out in (parsed.raw, parsed.semantic_text, *parsed.terms, *parsed.phrases):
            text_out.encode("utf-8")  # no lone surrogates reach an engine
