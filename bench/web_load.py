"""Load benchmark of the web app: the daily feed page and the search API under wrk, on loopback.

Usage: python bench/web_load.py [--papers 194777] [--keep DIR] [--workers 2] [--duration 15]
                              [--connections 2 4 8 16 32] [--json]

Builds (or, with --keep, reuses) a store of the whole 194,777-paper sample with its keyword and vector
indexes (the builder of bench/search_latency.py), features 40 papers with upvotes on each of the last
30 announced days, starts `paperfeed serve --workers N` in a child process (rate limits off), then runs
wrk (Debian package `wrk`) against each target at rising concurrency. Each step reports requests/s, p50
and p99 latency and errors (socket errors and non-2xx answers). A target's sustained rate is the highest
rate of a step with zero errors and p99 under its limit (feed 200 ms, search 300 ms).

wrk runs on the same 2 cores as the server, so the rates are a lower bound of what the server alone does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from search_latency import DEFAULT_FILE, build  # noqa: E402  (the store builder shared with that benchmark)

FEED_LIMIT_MS, SEARCH_LIMIT_MS = 200.0, 300.0
QUERIES = ["diffusion models", "large language model reasoning", "retrieval augmented generation",
           "graph neural networks", "protein structure prediction", "speech recognition", "object detection",
           "federated learning privacy", "causal inference", "time series forecasting", "knowledge distillation",
           "contrastive learning", "neural radiance fields", "machine translation", "adversarial robustness",
           "\"reinforcement learning\" robot", "ti:transformer", "au:Bengio", "cat:cs.CL attention",
           "bayesian optimization"]
LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def feature_papers(folder: Path, days: int = 30, per_day: int = 40, seed: int = 5) -> None:
    """Listings with upvotes on the last `days` announced days, as the HF import would make them."""
    import sqlalchemy as sa

    from paperfeed.db.engine import make_engine
    from paperfeed.db.listings import upsert_listings
    from paperfeed.db.schema import papers
    from paperfeed.models import Listing

    engine = make_engine(f"sqlite:///{folder / 'data' / 'paperfeed.db'}")
    rng = random.Random(seed)
    with engine.begin() as conn:
        last = conn.execute(sa.select(sa.func.max(papers.c.announced_on))).scalar_one()
        for offset in range(days):
            day = last - timedelta(days=offset)
            ids = list(conn.execute(sa.select(papers.c.id).where(papers.c.announced_on == day)).scalars())
            chosen = rng.sample(ids, min(per_day, len(ids)))
            upsert_listings(conn, [Listing(pid, day, "hf-daily", upvotes=rng.randint(0, 120)) for pid in chosen])
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(folder: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PAPERFEED_DATA_DIR": str(folder / "data"), "PAPERFEED_RATE_LIMITS": "false",
           "PAPERFEED_MODELS_DIR": str(Path.home() / ".cache" / "paperfeed-bench")}
    command = [str(Path(sys.executable).parent / "paperfeed"), "serve", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            # Warm every worker: the first search loads the model and opens the indexes.
            for _ in range(4 * workers):
                httpx.get(base + "/api/papers/search", params={"q": "warm up"}, timeout=60).raise_for_status()
                httpx.get(base + "/", timeout=60).raise_for_status()
            return process, base
        except httpx.TransportError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(base: str, paths: list[str], connections: int, duration: int) -> dict:
    """One closed-loop step: `connections` clients sending requests back to back for `duration` s."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
    threads = min(connections, 2)
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
         "-s", script.name, base],
        capture_output=True, text=True, check=True,
    )
    os.unlink(script.name)
    out = result.stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "connections": connections,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # No latency lines: nothing came back in time (every request an error).
        "p50_ms": _ms(latency["50"]) if "50" in latency else float("inf"),
        "p99_ms": _ms(latency["99"]) if "99" in latency else float("inf"),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--papers", type=int, default=194_777, help="papers in the store (the sample has 194,777)")
    parser.add_argument("--keep", type=Path, help="build the store into DIR and keep it; a rerun reuses it")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds per step")
    parser.add_argument("--connections", type=int, nargs="*", default=[2, 4, 8, 16, 32])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("needs wrk: apt-get install wrk")
    if not args.file.exists():
        sys.exit(f"no such file: {args.file}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperfeed-load-"))
    try:
        if not (folder / "built.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            figures = build(args.papers, folder, args.file, real_sample=3000)
            feature_papers(folder)
            (folder / "built.json").write_text(json.dumps(figures))
        process, base = start_server(folder, args.workers)
        try:
            targets = {
                "feed": (["/"], FEED_LIMIT_MS),
                "search": ([f"/api/papers/search?{httpx.QueryParams({'q': q, 'limit': 20})}" for q in QUERIES],
                           SEARCH_LIMIT_MS),
            }
            report = {"workers": args.workers, "duration_s": args.duration, "targets": {}}
            for name, (paths, limit) in targets.items():
                steps = []
                for connections in args.connections:
                    step = run_wrk(base, paths, connections, args.duration)
                    steps.append(step)
                    _log(f"{name:>6} c={connections:<3} {step['requests_per_s']:8.1f} req/s  "
                         f"p50 {step['p50_ms']:6.1f} ms  p99 {step['p99_ms']:6.1f} ms  errors {step['errors']}")
                good = [s for s in steps if s["errors"] == 0 and s["p99_ms"] <= limit]
                best = max(good, key=lambda s: s["requests_per_s"]) if good else None
                report["targets"][name] = {"p99_limit_ms": limit, "steps": steps, "sustained": best}
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, target in report["targets"].items():
        best = target["sustained"]
        if best:
            print(f"{name}: sustained {best['requests_per_s']:.0f} req/s at {best['connections']} connections "
                  f"(p50 {best['p50_ms']:.1f} ms, p99 {best['p99_ms']:.1f} ms <= {target['p99_limit_ms']:.0f} ms, "
                  "0 errors)")
        else:
            print(f"{name}: no step met p99 <= {target['p99_limit_ms']:.0f} ms with zero errors")


if __name__ == "__main__":
    main()
