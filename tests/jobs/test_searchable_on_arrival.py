"""Issue 12, item 3: a paper added to the store by the CLI is found by keyword search through a running
`paperfeed serve` within 60 seconds, with no `paperfeed index`: the server's own keyword-index job
(every PAPERFEED_JOBS_KEYWORD_SECONDS) brings its index in step with the store, and the server's open
search sees what the job committed."""

from __future__ import annotations

from serve_process import environment, found_within, paper_line, paperfeed, serving

ARRIVAL_LIMIT_S = 60


def test_a_paper_ingested_by_the_cli_is_found_through_the_server_within_a_minute(tmp_path):
    settings = {"PAPERFEED_JOBS_KEYWORD_SECONDS": "5", "PAPERFEED_JOBS_INDEX_SECONDS": "86400"}
    with serving(tmp_path, "--jobs", **settings) as (base, data_dir):
        env = environment(data_dir, **settings)
        for arxiv_id, title in (("2611.00001", "Quokka attention for tiny transformers"),
                                ("2611.00002", "Wombat retrieval over burrowed corpora")):
            (tmp_path / "new.jsonl").write_text(paper_line(arxiv_id, title) + "\n")
            ingested = paperfeed(env, "ingest", "file", str(tmp_path / "new.jsonl"))
            assert ingested.returncode == 0, ingested.stderr
            # the first paper arrives before any index exists; the second into the index the server has open
            waited = found_within(base, title.split()[0].lower(), arxiv_id, ARRIVAL_LIMIT_S)
            print(f"{arxiv_id} found {waited:.1f} s after its ingest")
    assert "job keyword-index" in (tmp_path / "serve.log").read_text()
