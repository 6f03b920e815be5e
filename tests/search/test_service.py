"""The search service end to end: a real store (SQLite and PostgreSQL), the real tantivy index, the
real MiniLM model (ONNX int8), the indexer's incremental and interrupted runs, and the CLI."""

from __future__ import annotations

from datetime import date

import pytest

from factories import make_record
from paperfeed.config import Settings
from paperfeed.db.papers import upsert_papers
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.normalize import normalize_record
from paperfeed.search.base import Filters
from paperfeed.search.maintenance import update_index
from paperfeed.search.service import SearchService

TOPICS = [
    ("Denoising diffusion probabilistic models for image synthesis",
     "We generate high quality images by learning to reverse a gradual noising process.", "cs.CV"),
    ("Protein structure prediction with deep attention networks",
     "Amino acid sequences are mapped to three dimensional folded structures of proteins.", "q-bio.BM"),
    ("Retrieval augmented generation for knowledge intensive tasks",
     "A language model conditions on passages fetched from a document index to answer questions.", "cs.CL"),
    ("Surface codes for fault tolerant quantum computation",
     "Logical qubits are protected from noise by topological stabilizer measurements.", "quant-ph"),
    ("Graph neural networks for molecular property prediction",
     "Message passing over atoms and bonds predicts chemical properties of molecules.", "cs.LG"),
    ("Reinforcement learning from human feedback for aligning chatbots",
     "A reward model trained on human preference comparisons guides policy optimization.", "cs.CL"),
]


def papers_for_tests() -> list:
    records = [
        make_record(arxiv_id=f"2501.{i:05d}", title=title, abstract=abstract, categories=(category,),
                    authors=(f"Author {i}", "Shared Coauthor"), announced_on=date(2025, 1, 1 + i))
        for i, (title, abstract, category) in enumerate(TOPICS)
    ]
    # 25 computer-vision papers about something else, to check filtered results are never short
    records += [
        make_record(arxiv_id=f"2502.{i:05d}", title=f"Camera calibration study number {i}",
                    abstract="Geometric calibration of cameras with checkerboard patterns.",
                    categories=("cs.CV",), authors=(f"Vision Person {i}",), announced_on=date(2025, 2, 1 + i % 27))
        for i in range(25)
    ]
    return [normalize_record(r) for r in records]


@pytest.fixture
def settings(tmp_path, models_dir, database_url):
    return Settings(data_dir=tmp_path / "data", models_dir=models_dir, database_url=database_url)


@pytest.fixture
def stored(engine):
    with engine.begin() as conn:
        upsert_papers(conn, papers_for_tests())
    return engine


@pytest.fixture
def service(settings, stored):
    update_index(settings, stored)
    return SearchService.open(settings, stored)


def keys(results) -> list[str]:
    return [hit.paper.key for hit in results.hits]


def test_meaning_finds_a_paper_with_no_word_in_common(service):
    results = service.search("generative models that remove noise from pictures")
    assert keys(results)[0] == "2501.00000"
    assert results.semantic_coverage == 1.0 and not results.notes


def test_keyword_search_works_before_any_embedding_and_says_so(settings, stored):
    update_index(settings, stored, semantic=False)
    results = SearchService.open(settings, stored).search("surface codes")
    assert keys(results)[0] == "2501.00003"
    assert results.semantic_coverage == 0.0
    assert any("semantic index 0% ready" in note for note in results.notes)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (Filters(categories=("cs.CL",)), lambda p: "cs.CL" in p.categories),
        (Filters(categories=("q-bio",)), lambda p: p.categories[0].startswith("q-bio.")),
        (Filters(since=date(2025, 1, 4)), lambda p: p.announced_on >= date(2025, 1, 4)),
        (Filters(until=date(2025, 1, 2)), lambda p: p.announced_on <= date(2025, 1, 2)),
        (Filters(authors=("shared coauthor",)), lambda p: "Shared Coauthor" in p.authors),
    ],
)
def test_filters_never_let_a_filtered_out_paper_through(service, filters, check):
    results = service.search("denoising diffusion image generation", filters, limit=50)
    assert results.hits
    assert all(check(hit.paper) for hit in results.hits)


def test_filtered_results_are_not_short_while_enough_papers_match(service):
    # The best matches are not computer vision, but 26 cs.CV papers exist: a page of 20 must be full.
    results = service.search("protein folding quantum qubits", Filters(categories=("cs.CV",)), limit=20)
    assert len(results.hits) == 20
    assert all("cs.CV" in hit.paper.categories for hit in results.hits)
    assert results.more


def test_sort_by_date_puts_the_newest_first(service):
    results = service.search("calibration", sort="date", limit=10)
    days = [hit.paper.announced_on for hit in results.hits]
    assert days == sorted(days, reverse=True) and len(days) == 10


def test_paging_is_stable_and_disjoint(service):
    first = service.search("camera calibration", limit=10)
    second = service.search("camera calibration", limit=10, offset=10)
    assert not set(keys(first)) & set(keys(second))
    assert keys(service.search("camera calibration", limit=10)) == keys(first)


@pytest.mark.parametrize("text", ["", "   ", '"', "(((", "AND OR NOT", "🙂🙂", "ti:", "au:\"", "x" * 20_000])
def test_odd_queries_never_crash(service, text):
    try:
        service.search(text)
    except InvalidInput as exc:
        assert "empty query" in str(exc)


def test_a_pasted_abstract_finds_its_topic(service):
    pasted = ("We study how to answer open domain questions by retrieving passages from Wikipedia and then "
              "conditioning a sequence to sequence generator on them. " * 40)
    assert keys(service.search(pasted))[0] == "2501.00002"


def test_bad_paging_arguments_are_refused(service):
    with pytest.raises(InvalidInput):
        service.search("x", limit=0)
    with pytest.raises(InvalidInput):
        service.search("x", sort="popularity")


def test_similar_papers_leave_the_paper_itself_out(service):
    results = service.similar("2501.00005")  # RLHF
    assert "2501.00005" not in keys(results)
    assert keys(results)[0] == "2501.00002"  # the other language-model paper
    with pytest.raises(NotFound):
        service.similar("9999.99999")


def test_indexing_is_incremental_and_never_embeds_unchanged_text_twice(settings, stored):
    first = update_index(settings, stored)
    assert first["embedded"] == first["papers"] == 31
    again = update_index(settings, stored)
    assert again["embedded"] == 0
    with stored.begin() as conn:  # a new arXiv version changes one abstract
        upsert_papers(conn, [normalize_record(make_record(
            source="arxiv-api", arxiv_id="2501.00003", version=2, title=TOPICS[3][0],
            abstract="Magic state distillation for universal fault tolerant quantum computers."))])
    changed = update_index(settings, stored)
    assert changed["embedded"] == 1
    assert 1 <= changed["keyword_indexed"] <= 31  # the change, plus the watermark's overlap


def test_an_interrupted_embedding_run_serves_what_is_done_and_the_next_run_continues(settings, stored):
    calls = []

    def interrupt_after_first_chunk(done, total):
        calls.append(done)
        raise KeyboardInterrupt

    from paperfeed.search import indexer

    original = indexer.sync_embeddings

    def small_chunks(*args, **kwargs):
        return original(*args, **{**kwargs, "chunk_size": 8})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("paperfeed.search.maintenance.sync_embeddings", small_chunks)
        with pytest.raises(KeyboardInterrupt):
            update_index(settings, stored, on_semantic=interrupt_after_first_chunk)
    service = SearchService.open(settings, stored)
    assert 0 < service.semantic_coverage() < 1.0  # the first chunk was kept and is served
    assert service.search("surface codes").hits
    rest = update_index(settings, stored)
    assert rest["embedded"] == 31 - calls[0]
    assert SearchService.open(settings, stored).semantic_coverage() == 1.0


def test_a_second_embedding_run_is_refused_while_one_runs_and_says_so(settings, stored):
    from paperfeed.db.locks import Busy, file_lock
    from paperfeed.search.indexer import IndexPaths

    running = IndexPaths(settings.data_dir / "index").embedding_lock
    with file_lock(running, "the first run"):
        with pytest.raises(Busy, match="another `paperfeed index` is computing embeddings now; let it finish"):
            update_index(settings, stored)
        assert update_index(settings, stored, semantic=False)["keyword_total"] == 31  # keyword sync is not held up


def test_two_keyword_syncs_take_turns_rather_than_fail_on_the_index_lock(settings, stored):
    import threading

    from paperfeed.db.locks import file_lock
    from paperfeed.search.indexer import IndexPaths

    held, released = threading.Event(), threading.Event()

    def other_writer():  # a `paperfeed index` by hand, or the index job, writing the keyword index
        with file_lock(IndexPaths(settings.data_dir / "index").keyword_lock, "the other writer"):
            held.set()
            released.wait(10)

    other = threading.Thread(target=other_writer)
    other.start()
    held.wait(10)
    threading.Timer(1.0, released.set).start()
    report = update_index(settings, stored, semantic=False)  # waits for the other, then syncs
    other.join()
    assert released.is_set() and report["keyword_indexed"] == 31 and report["keyword_total"] == 31


def test_an_interrupted_keyword_sync_leaves_the_last_commit_searchable(settings, stored):
    from paperfeed.search import indexer
    from paperfeed.search.indexer import IndexPaths
    from paperfeed.search.keyword import KeywordIndex

    paths = IndexPaths(settings.data_dir / "index")
    index = KeywordIndex.open(paths.keyword)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        indexer.sync_keyword(stored, index, paths, interrupt, batch_size=10)
    index.close()  # as when the process dies: the writer and its lock are gone
    assert KeywordIndex.open(paths.keyword).count() == 10  # the first batch was committed
    indexer.sync_keyword(stored, KeywordIndex.open(paths.keyword), paths, batch_size=10)
    assert KeywordIndex.open(paths.keyword).count() == 31


def test_the_vector_index_and_the_model_load_in_either_order(models_dir, tmp_path):
    """usearch loaded before onnxruntime crashed the process, and torch's ONNX export hung with
    usearch loaded: both orders must work in a fresh interpreter (as in `paperfeed search`)."""
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path\n"
        "import paperfeed.search.vectors\n"
        "from paperfeed.search.embedding import load_embedder\n"
        "e = load_embedder('all-MiniLM-L6-v2', backend='onnx', cache_dir=Path(sys.argv[1]), max_tokens=64)\n"
        "print(e.embed_query('hello').shape)\n"
    )
    for cache in (models_dir, tmp_path / "fresh-export"):
        finished = subprocess.run([sys.executable, "-c", script, str(cache)], capture_output=True, text=True,
                                  timeout=240)
        assert finished.returncode == 0, finished.stderr[-2000:]
        assert "(384,)" in finished.stdout
