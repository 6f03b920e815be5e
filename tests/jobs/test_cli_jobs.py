"""The jobs from the command line, as an operator runs them: `paperfeed backup PATH` (a consistent
copy of a SQLite store in use; PostgreSQL is pointed at pg_dump), `paperfeed jobs run|list`, and two
`paperfeed worker` processes on one store that run a missed job once between them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time

from serve_process import CONSOLE_SCRIPT, environment, paperfeed


def migrated(tmp_path, **extra):
    env = environment(tmp_path / "data", **extra)
    assert paperfeed(env, "db", "upgrade").returncode == 0
    return env


def test_backup_copies_a_store_in_use(tmp_path):
    env = migrated(tmp_path)
    (tmp_path / "papers.jsonl").write_text(json.dumps({"id": "2611.00001", "title": "A paper", "abstract": "Text.",
                                                       "authors": ["Ada"], "categories": ["cs.LG"]}) + "\n")
    assert paperfeed(env, "ingest", "file", str(tmp_path / "papers.jsonl")).returncode == 0
    result = paperfeed(env, "backup", str(tmp_path / "copy" / "paperfeed.db"))
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(tmp_path / "copy" / "paperfeed.db")
    assert copy.execute("SELECT title FROM papers").fetchall() == [("A paper",)]
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    same = paperfeed(env, "backup", str(tmp_path / "data" / "paperfeed.db"))
    assert same.returncode != 0 and "another file than the store" in same.stderr


def test_jobs_run_and_list_show_the_last_run(tmp_path):
    env = migrated(tmp_path)
    ran = paperfeed(env, "jobs", "run", "backup", "--json", timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["status"] == "ok"
    assert len(list((tmp_path / "data" / "backups").glob("paperfeed-*.db"))) == 1
    listed = {row["name"]: row for row in json.loads(paperfeed(env, "jobs", "list", "--json").stdout)}
    assert set(listed) == {"arxiv", "hf-daily", "keyword-index", "index", "digests", "mentions", "backup"}
    assert listed["backup"]["status"] == "ok" and listed["backup"]["runs"] == 1
    assert listed["digests"]["last_started"] is None
    unknown = paperfeed(env, "jobs", "run", "nope")
    assert unknown.returncode != 0 and "no job named 'nope'" in unknown.stderr


def test_two_workers_run_a_missed_job_once_between_them(tmp_path):
    env = migrated(tmp_path, PAPERFEED_JOBS_BACKUP_CRON="0 0 * * *")  # last midnight: missed, so run at start
    workers = [subprocess.Popen([str(CONSOLE_SCRIPT), "worker", "--only", "backup"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while True:
            listed = {row["name"]: row for row in json.loads(paperfeed(env, "jobs", "list", "--json").stdout)}
            if listed["backup"]["status"] == "ok":
                break
            assert time.monotonic() < deadline, "the workers never ran the backup"
            time.sleep(1)
        time.sleep(3)  # the second worker's firing has been refused by now
        listed = {row["name"]: row for row in json.loads(paperfeed(env, "jobs", "list", "--json").stdout)}
        assert listed["backup"]["runs"] == 1
        assert listed["backup"]["next_run"] is not None
        assert all(worker.poll() is None for worker in workers)  # both still running
    finally:
        for worker in workers:
            worker.terminate()
        logs = [worker.communicate(timeout=30)[1] for worker in workers]
    assert sum("job backup due" in log for log in logs) == 1  # one run, one log line
    assert all(worker.returncode == 0 for worker in workers)
