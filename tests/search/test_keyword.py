"""KeywordIndex on a real tantivy index in tmp_path: ranking, clauses, filters, writes and commits."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
import tantivy

from paperfeed.errors import InvalidInput
from paperfeed.search.base import Filters, IndexDoc
from paperfeed.search.keyword import KeywordIndex, StaleIndex
from paperfeed.search.query import parse_query

NO_FILTERS = Filters()


def make_doc(paper_id: int, **overrides) -> IndexDoc:
    fields = {
        "title": f"Untitled study number {paper_id}",
        "abstract": "We report results.",
        "authors": ("Ada Lovelace",),
        "categories": ("math.CO",),
        "day": date(2024, 1, 1),
    }
    return IndexDoc(paper_id=paper_id, **{**fields, **overrides})


def build(path, docs) -> KeywordIndex:
    index = KeywordIndex.open(path)
    index.upsert(docs)
    index.commit()
    return index


def ids(index: KeywordIndex, text: str, filters: Filters = NO_FILTERS, limit: int = 50, **kwargs) -> list[int]:
    return [paper_id for paper_id, _ in index.search(parse_query(text), filters, limit, **kwargs)]


PAPERS = [
    make_doc(1, title="Graph neural networks for molecules", authors=("Yann LeCun", "Bernhard Schölkopf"),
             categories=("cs.LG", "q-bio.BM"), day=date(2024, 3, 1)),
    make_doc(2, title="Protein structure prediction", abstract="A graph based model of folding proteins.",
             authors=("Jane Doe",), categories=("q-bio.BM",), day=date(2024, 1, 10)),
    make_doc(3, title="Neural machine translation", abstract="Translation with attention over the machine.",
             authors=("John Roe",), categories=("cs.CL",), day=None),
    make_doc(4, title="Machine learning of translation invariant kernels", abstract="Kernel methods.",
             authors=("Ada Lovelace",), categories=("stat.ML",), day=date(2023, 6, 1)),
]  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """The four PAPERS, shared by the tests that only read."""
    with build(tmp_path_factory.mktemp("kw"), PAPERS) as built:
        yield built


@pytest.fixture
def fresh_index(tmp_path):
    """The four PAPERS, for a test that writes."""
    with build(tmp_path / "kw", PAPERS) as built:
        yield built


def test_title_matches_outrank_abstract_only_matches(index):
    assert ids(index, "graph") == [1, 2]  # 1 has it in the title, 2 only in the abstract
    assert ids(index, "proteins") == [2]  # stemmed: "proteins" finds "Protein" and "proteins"


def test_author_names_match_free_words_without_accents(index):
    assert ids(index, "scholkopf") == [1]
    assert ids(index, "Schölkopf graph") == [1, 2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ti:translation", [3, 4]),
        ("abs:translation", [3]),
        ("ti:graph", [1]),
        ("abs:graph", [2]),
        ('au:"john roe"', [3]),
        ('au:"roe john"', []),  # a phrase: word order matters
        ("au:lovelace", [4]),  # the default author of make_doc is only on paper 4 here
        ("cat:cs.CL", [3]),
        ("cat:q-bio.bm", [1, 2]),  # case does not matter; newest first with nothing to rank by
        ("cat:cs", [1, 3]),  # an archive matches its categories (3 has no day: last)
        ("cat:cs translation", [3]),
        ("cat:math", []),
    ],
)
def test_field_clauses_restrict_to_their_field(index, text, expected):
    assert ids(index, text) == expected


def test_phrases_need_the_words_together(index):
    assert sorted(ids(index, "machine translation")) == [3, 4]
    assert ids(index, '"machine translation"') == [3]
    assert ids(index, '"translation machine"') == []
    assert ids(index, '"machine translation" neural kernels') == [3]  # the phrase, and one of the words
    assert ids(index, '"machine translation" kernels') == []


def test_filters_never_let_the_best_match_through(index):
    assert ids(index, "graph")[0] == 1
    assert ids(index, "graph", Filters(categories=("q-bio.BM",))) == [1, 2]
    assert ids(index, "graph", Filters(since=date(2024, 1, 1), until=date(2024, 2, 1))) == [2]
    assert ids(index, "graph", Filters(authors=("jane doe",))) == [2]
    assert ids(index, "graph", Filters(authors=("BERNHARD SCHOLKOPF",))) == [1]
    assert ids(index, "graph", Filters(categories=("cs.CL",))) == []  # no paper matches both
    assert ids(index, "translation", Filters(since=date(2000, 1, 1))) == [4]  # a paper without a day never passes


def test_a_filter_does_not_turn_optional_words_into_match_all(index):
    assert ids(index, "graph molecules", Filters(categories=("cs", "stat"))) == [1]


def test_filtered_results_are_not_short(tmp_path):
    better = [make_doc(n, title="Sparse attention sparse attention", categories=("cs.CV",)) for n in range(1, 101)]
    wanted = [make_doc(n, abstract="Some sparse attention.", categories=("cs.CL",)) for n in range(101, 131)]
    with build(tmp_path / "kw", better + wanted) as index:
        found = ids(index, "sparse attention", Filters(categories=("cs.CL",)), limit=20)
        assert len(found) == 20 and set(found) <= set(range(101, 131))
        assert len(ids(index, "sparse attention", Filters(categories=("cs",)), limit=200)) == 130


def test_date_sort_lists_matches_newest_first(index):
    ranked = index.search(parse_query("translation"), NO_FILTERS, 10, sort="date")
    assert [paper_id for paper_id, _ in ranked] == [4, 3]  # paper 3 has no day: last
    assert ranked[0][1] == (date(2023, 6, 1) - date(1970, 1, 1)).days
    assert ids(index, "graph", sort="date") == [1, 2]
    # date order asks for every word, or "machine kernels" would list every paper with either word by date
    assert ids(index, "machine kernels", sort="date") == [4]


def test_empty_query_lists_filtered_papers_newest_first(index):
    assert ids(index, "", Filters(categories=("cs", "q-bio"))) == [1, 2, 3]
    assert ids(index, "   ", Filters(since=date(2024, 1, 1))) == [1, 2]
    assert ids(index, "") == []


def test_matching_ids_are_exactly_the_filtered_papers(index):
    assert index.ids().tolist() == [1, 2, 3, 4]
    assert index.matching_ids(Filters(categories=("q-bio",))).tolist() == [1, 2]
    assert index.matching_ids(Filters(until=date(2024, 2, 1))).tolist() == [2, 4]
    assert index.matching_ids(Filters(categories=("cs", "stat"))).tolist() == [1, 3, 4]
    assert index.matching_ids(Filters(categories=("cs", "stat")), limit=2).tolist() == [1, 4]  # the newest two
    assert index.matching_ids(Filters(authors=("nobody",))).tolist() == []
    assert index.matching_ids(NO_FILTERS, limit=0).tolist() == []


def test_upsert_replaces_and_never_duplicates(fresh_index):
    index = fresh_index
    index.upsert([make_doc(2, title="Renamed paper about lattices"), make_doc(5, title="Lattices again")])
    index.upsert([make_doc(5, title="Final lattices paper", categories=("cs.CL",))])  # before any commit
    index.commit()
    assert index.count() == 5
    assert index.ids().tolist() == [1, 2, 3, 4, 5]
    assert ids(index, "protein") == []
    assert sorted(ids(index, "lattices")) == [2, 5]
    assert ids(index, "final", Filters(categories=("cs.CL",))) == [5]
    assert index.upsert([make_doc(5, title="First"), make_doc(5, title="Second")]) == 1  # same batch: last wins
    index.commit()
    assert index.count() == 5
    assert ids(index, "second") == [5] and ids(index, "first") == []


def test_delete_removes_papers_and_ignores_unknown_ids(fresh_index):
    index = fresh_index
    index.delete([1, 999])
    assert ids(index, "graph") == [1, 2]  # not yet committed
    index.commit()
    assert ids(index, "graph") == [2]
    assert index.count() == 3


def test_uncommitted_writes_are_invisible_and_dropped_on_close(tmp_path):
    index = build(tmp_path / "kw", [make_doc(1, title="Committed paper")])
    index.upsert([make_doc(2, title="Pending paper")])
    index.delete([1])
    assert ids(index, "paper") == [1]
    index.close()  # the writer goes away without a commit
    reopened = KeywordIndex.open(tmp_path / "kw")
    assert ids(reopened, "paper") == [1] and reopened.count() == 1
    reopened.upsert([make_doc(3, title="Later paper")])  # the write lock was released
    reopened.commit()
    assert sorted(ids(reopened, "paper")) == [1, 3]


def test_a_crash_before_commit_leaves_the_previous_commit(tmp_path):
    build(tmp_path / "kw", [make_doc(1, title="Committed paper")]).close()
    script = (
        "import os, sys; from pathlib import Path\n"
        "from paperfeed.search.keyword import KeywordIndex\n"
        "from paperfeed.search.base import IndexDoc\n"
        "index = KeywordIndex.open(Path(sys.argv[1]))\n"
        "index.upsert(IndexDoc(n, f'Crashed paper {n}', 'text') for n in range(2, 5000))\n"
        "os._exit(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "kw")], capture_output=True, timeout=120)
    assert result.returncode == 3, result.stderr.decode()
    with KeywordIndex.open(tmp_path / "kw") as index:
        assert index.count() == 1 and ids(index, "paper") == [1]
        index.upsert([make_doc(2, title="After the crash")])
        index.commit()
        assert index.count() == 2


def test_committed_papers_survive_reopening(tmp_path):
    build(tmp_path / "kw", [make_doc(7, title="Persistent paper")]).close()
    assert ids(KeywordIndex.open(tmp_path / "kw"), "persistent") == [7]


ODD_QUERIES = [
    "", "   ", '"', '""', '"unbalanced', 'au:"', "cat:", "ti:", "AND OR NOT", "+ - && || ! ( ) [ ] { } ^ ~ * ? : \\ /",
    "title:(foo OR bar)^3", "field:value", 'abs:"a"', '"a"', "a" * 500, "🤖 ✨", "مرحبا بالعالم", "\u202e\u200f",
    "x" * 20_000, "cat:cs.CL cat:cs.CL", "au:\"O'Brien\"", "*", "?", "\\", "ti:\"\"", '"the"', "ａｂｃ",
]  # fmt: skip


@pytest.mark.parametrize("text", ODD_QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_odd_queries_never_raise(index, text, sort):
    for filters in (NO_FILTERS, Filters(categories=("cs",), authors=("x",), since=date(2030, 1, 1))):
        assert isinstance(index.search(parse_query(text), filters, 10, sort=sort), list)


def test_random_text_never_raises(index):
    rng = random.Random(5)
    for _ in range(300):
        text = "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(0, 30)))
        index.search(parse_query(text), NO_FILTERS, 5)


def test_bad_arguments(index, tmp_path):
    with pytest.raises(InvalidInput):
        index.search(parse_query("graph"), NO_FILTERS, 10, sort="popularity")
    with pytest.raises(InvalidInput):
        KeywordIndex.open(tmp_path / "other", boosts={"body": 2.0})
    assert index.search(parse_query("graph"), NO_FILTERS, 0) == []


def test_a_folder_with_another_schema_is_reported_stale(tmp_path):
    tantivy.Index(tantivy.SchemaBuilder().add_text_field("body").build(), str(tmp_path))
    with pytest.raises(StaleIndex, match="reindex"):
        KeywordIndex.open(tmp_path)


def test_readers_in_threads_while_a_writer_commits(tmp_path):
    index = build(tmp_path / "kw", [make_doc(n, title=f"Stable paper {n}") for n in range(1, 51)])
    errors: list[BaseException] = []

    def read():
        try:
            for _ in range(200):
                assert len(ids(index, "stable paper", limit=100)) == 50
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    for batch in range(10):
        index.upsert(make_doc(1000 + batch * 10 + n, title="Moving target") for n in range(10))
        index.commit()
    for thread in readers:
        thread.join()
    assert errors == []
    assert index.count() == 150


def test_day_range_is_inclusive(tmp_path):
    day = date(2024, 5, 5)
    docs = [make_doc(n, title="Daily paper", day=day + timedelta(days=n - 2)) for n in range(1, 4)]
    with build(tmp_path / "kw", docs) as index:
        assert ids(index, "daily", Filters(since=day, until=day)) == [2]
        assert ids(index, "daily", Filters(since=day), sort="date") == [3, 2]


def test_a_pasted_abstract_is_scored_on_its_rarest_words(tmp_path):
    # 60 common words in every paper, and one rare word that only paper 7 has, last in the query: keeping
    # the first MAX_FREE_WORDS words would drop it (and rank 7, the longest paper, last), keeping the rarest
    # ones puts 7 first.
    from paperfeed.search.keyword import MAX_FREE_WORDS

    common = [f"common{n}" for n in range(60)]
    docs = [make_doc(i, title=f"Paper {i}", abstract=" ".join(common)) for i in range(1, 12)]
    docs.append(make_doc(7, title="Paper 7", abstract=" ".join(common) + " zymurgy"))
    index = build(tmp_path, docs)
    query = " ".join([*common, "zymurgy"])
    assert len(query.split()) > MAX_FREE_WORDS
    assert ids(index, query)[0] == 7
    assert len(ids(index, query)) == 11  # every paper still matches some kept word
