"""`paperfeed status [--json]` and `paperfeed admin add EMAIL` through the console script, on a store
that has papers, a keyword index and a job's run (issue 12, item 5)."""

from __future__ import annotations

import json
from pathlib import Path

from serve_process import environment, paperfeed

PAPERS = Path(__file__).parent / "data" / "files" / "papers.jsonl"


def test_status_reports_jobs_intake_indexes_digests_and_sizes_and_admin_add_needs_an_account(tmp_path):
    env = environment(tmp_path / "data")
    for args in (["db", "upgrade"], ["ingest", "file", str(PAPERS)], ["index", "--keyword-only"],
                 ["jobs", "run", "backup"]):
        done = paperfeed(env, *args)
        assert done.returncode == 0, done.stderr

    report = json.loads(paperfeed(env, "status", "--json").stdout)
    text = paperfeed(env, "status")

    backup = next(row for row in report["jobs"] if row["name"] == "backup")
    assert backup["status"] == "ok" and backup["runs"] == 1 and backup["duration_s"] > 0
    assert report["papers"]["total"] == 4 and list(report["papers"]["by_day"].values())[0] == {"jsonl": 4}
    keyword = report["index"]["keyword"]
    assert keyword["built"] and keyword["papers"] == 4 and keyword["coverage"] == 1.0 and keyword["lag_s"] == 0
    assert report["index"]["semantic"]["queue"] == 4 and report["index"]["bytes"]["keyword"] > 0
    assert report["digests"] == {"sent": 0, "failed": 0, "pending": 0, "by_status": {}}
    assert report["database"]["bytes"] > 0
    assert text.returncode == 0 and "keyword index: 4 papers (100.0%), 0 s behind the store" in text.stdout
    assert "4 waiting to be embedded" in text.stdout and "backup" in text.stdout

    missing = paperfeed(env, "admin", "add", "ada@example.org")
    assert missing.returncode != 0 and "no account with email 'ada@example.org': sign up first" in missing.stderr
