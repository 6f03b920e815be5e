"""Benchmark: compose personal digests for many subscribers and deliver them to a loopback SMTP server.

Usage: python bench/digest_throughput.py [--subscribers 10000] [--papers 3000] [--repeat 3] [--semantic] [--json]

Builds a SQLite store in a temporary folder with --papers real papers from the shared sample (re-dated
to the last three days; synthetic papers when the sample is absent), upvotes on some of them, the
keyword index (and with --semantic the embeddings, so saved queries use both legs), and subscribers
with mixed interests: arXiv categories, saved queries (a few hundred distinct ones, popular ones shared
by many readers) and followed authors, in ten time zones, daily and weekly, all due at the chosen moment. An aiosmtpd
server in a child process counts what it accepts. Each repeat plans and sends every digest (the same
code as `paperfeed digest send`) and reports the median: planning time, sending time, total, messages/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "arxiv" / "papers.jsonl.gz"
DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # a Monday, 07:00 or later on the 23rd in every zone below
ZONES = ["UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
         "America/New_York", "America/Chicago", "America/Sao_Paulo"]
TOPICS = ["diffusion models", "large language models", "retrieval augmented generation", "reinforcement learning",
          "graph neural networks", "protein structure", "quantum error correction", "speech recognition",
          "object detection", "federated learning", "causal inference", "time series forecasting",
          "knowledge distillation", "contrastive learning", "neural radiance fields", "machine translation",
          "adversarial robustness", "bayesian optimization", "dark matter", "gravitational waves"]
STOPWORDS = {"a", "an", "and", "the", "of", "for", "in", "on", "with", "to", "from", "by", "via", "using", "towards",
             "toward", "is", "are", "as", "at", "its"}


# --- the SMTP server (child process) -----------------------------------------------------------


def serve_smtp(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        accepted = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.accepted += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM})
    controller.stop()
    print(Counter.accepted, flush=True)


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.accepted = 0

    def __enter__(self) -> SmtpServer:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # the child inherits it, for sigwait
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-smtp", str(self.port)],
                                        stdout=subprocess.PIPE, text=True)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        self.accepted = int(out.strip() or 0)


# --- the store -----------------------------------------------------------------------------------


def real_records(count: int):
    from paperfeed.models import PaperRecord
    from paperfeed.normalize import normalize_record
    from paperfeed.sources.files import read_records

    records = []
    for _, record in read_records(SAMPLE):
        if isinstance(record, PaperRecord) and record.authors and record.categories:
            records.append(normalize_record(record))
            if len(records) == count:
                break
    return records


def make_records(count: int, rng: random.Random):
    from paperfeed.models import PaperRecord
    from paperfeed.normalize import normalize_record

    if SAMPLE.exists():
        records = real_records(count)
    else:
        categories = ["cs.CL", "cs.LG", "cs.CV", "cs.AI", "stat.ML", "quant-ph", "astro-ph.CO", "math.OC"]
        records = [normalize_record(PaperRecord(
            source="jsonl", title=f"{rng.choice(TOPICS).capitalize()} study {n}",
            abstract=f"We study {rng.choice(TOPICS)} and {rng.choice(TOPICS)}.",
            authors=tuple(f"Author {rng.randrange(count // 3)}" for _ in range(rng.randint(1, 5))),
            categories=tuple(rng.sample(categories, rng.randint(1, 2))), arxiv_id=f"2611.{n:05d}"))
            for n in range(count)]
    # Re-dated to the last three days, as if just announced.
    return [dataclasses.replace(r, announced_on=DAY - timedelta(days=n % 3), published_on=DAY - timedelta(days=n % 3))
            for n, r in enumerate(records)]


def title_queries(records, rng: random.Random, count: int) -> list[str]:
    queries = set(TOPICS)
    while len(queries) < count:
        words = [w.strip(".,:;()").lower() for w in rng.choice(records).title.split()]
        words = [w for w in words if w.isalpha() and w not in STOPWORDS and len(w) > 3]
        if len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            queries.add(" ".join(words[start:start + 2]))
    return sorted(queries)


def build_store(folder: Path, args, rng: random.Random):
    from paperfeed.config import Settings
    from paperfeed.db import migrate
    from paperfeed.db.engine import make_engine
    from paperfeed.db.listings import upsert_listings
    from paperfeed.db.papers import upsert_papers
    from paperfeed.db.subscriptions import create_subscriber
    from paperfeed.digest.subscriptions import parse_request
    from paperfeed.models import ACTIVE, Listing
    from paperfeed.search.maintenance import update_index

    settings = Settings(_env_file=None, data_dir=folder, secret_key="bench-secret-key-0123456789-0123456789",
                        smtp_host="127.0.0.1", smtp_security="none", mail_from="paperfeed <digest@bench.example>")
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    records = make_records(args.papers, rng)
    with engine.begin() as conn:
        ids = upsert_papers(conn, records).paper_ids
        upsert_listings(conn, [Listing(paper_id=pid, day=DAY - timedelta(days=1), source="hf-daily",
                                       upvotes=rng.randint(1, 80)) for pid in rng.sample(ids, 150)])
    started = time.perf_counter()
    update_index(settings, engine, keyword=True, semantic=args.semantic)
    index_s = time.perf_counter() - started

    category_pool = [c for r in records for c in r.categories]
    author_pool = [a for r in records for a in r.authors[:3]]
    queries = title_queries(records, rng, args.queries)
    popularity = [1 / (rank + 1) for rank in range(len(queries))]  # a few queries are followed by many
    with engine.begin() as conn:
        for n in range(args.subscribers):
            request = parse_request(
                f"reader{n:05d}@bench.example", frequency=rng.choice(["daily"] * 6 + ["weekly"]),
                timezone=rng.choice(ZONES),
                categories=rng.sample(category_pool, rng.choice([0, 1, 1, 2, 3])),
                queries=rng.choices(queries, popularity, k=rng.choice([0, 1, 1, 2])),
                authors=rng.sample(author_pool, rng.choice([0, 0, 1, 2])),
            )
            create_subscriber(conn, request, ACTIVE, NOW - timedelta(days=30))
    return settings, engine, {"papers": len(records), "distinct_queries": len(queries), "index_s": round(index_s, 1)}


def reset(engine) -> None:
    from paperfeed.db.schema import digest_papers, digests

    with engine.begin() as conn:
        conn.execute(digest_papers.delete())
        conn.execute(digests.delete())


def one_run(settings, engine, port: int) -> dict:
    from paperfeed.digest.mailer import Mailer
    from paperfeed.digest.sender import deliver_pending, plan_digests
    from paperfeed.digest.tokens import LinkSigner
    from paperfeed.search.service import SearchService

    settings = settings.model_copy(update={"smtp_port": port})
    started = time.perf_counter()
    report = plan_digests(engine, settings, NOW, open_search=lambda: SearchService.open(settings, engine))
    planned = time.perf_counter()
    with Mailer(settings) as mailer:
        deliver_pending(engine, settings, mailer, LinkSigner.from_settings(settings), now=NOW, report=report)
    finished = time.perf_counter()
    return {"due": report.due, "planned": report.planned, "empty": report.empty, "sent": report.sent,
            "plan_s": planned - started, "send_s": finished - planned, "total_s": finished - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=3_000, help="papers announced over the last three days")
    parser.add_argument("--queries", type=int, default=300, help="distinct saved queries")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--semantic", action="store_true", help="embed the papers: saved queries use both legs")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-smtp", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smtp:
        return serve_smtp(args.serve_smtp)
    import onnxruntime  # noqa: F401  (before usearch, see search/vectors.py)

    rng = random.Random(20261123)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        settings, engine, setup = build_store(Path(folder), args, rng)
        setup["setup_s"] = round(time.perf_counter() - started, 1)
        runs = []
        for _ in range(args.repeat):
            reset(engine)
            with SmtpServer() as server:
                run = one_run(settings, engine, server.port)
            run["accepted_by_server"] = server.accepted
            runs.append(run)
            if not args.json:
                print(f"  run: {run['sent']:,} sent ({server.accepted:,} accepted by the server) in "
                      f"{run['total_s']:.1f} s (plan {run['plan_s']:.1f} s, send {run['send_s']:.1f} s)")
    median = {key: statistics.median(r[key] for r in runs) for key in ("plan_s", "send_s", "total_s")}
    result = {"subscribers": args.subscribers, **setup, "semantic": args.semantic, "runs": runs,
              "median": {**{k: round(v, 2) for k, v in median.items()},
                         "messages_per_s": round(runs[0]["sent"] / median["total_s"], 1),
                         "send_messages_per_s": round(runs[0]["sent"] / median["send_s"], 1)}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    m = result["median"]
    print(f"{args.subscribers:,} subscribers, {setup['papers']:,} papers, {setup['distinct_queries']} distinct queries"
          f"{' (hybrid search)' if args.semantic else ' (keyword leg only)'}; {runs[0]['sent']:,} digests sent, "
          f"{runs[0]['empty']:,} with nothing new")
    print(f"median of {args.repeat}: total {m['total_s']:.1f} s = plan {m['plan_s']:.1f} s + send {m['send_s']:.1f} s; "
          f"{m['messages_per_s']:.0f} messages/s overall, {m['send_messages_per_s']:.0f}/s while sending")


if __name__ == "__main__":
    main()
