"""The suite collects the same test ids in every process: pytest-xdist refuses to run when its workers
collected different ids, so one parameter holding a time, a random value or a temporary path (a gzip
header's mtime did) fails a whole CI run whenever two workers' collections straddle a second."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def collected_ids() -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(TESTS)],
        capture_output=True, text=True, env=env, cwd=TESTS.parent, timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_two_collections_a_second_apart_collect_the_same_ids(request):
    # In the whole suite this process's own collection, made seconds or minutes ago, is the first.
    own = [item.nodeid for item in request.session.items]
    first = own if len(own) > 1000 else collected_ids()
    time.sleep(1.1)  # a parameter built from the clock now differs
    second = collected_ids()
    assert len(first) > 1000
    assert sorted(set(first) ^ set(second)) == []
    assert first == second
