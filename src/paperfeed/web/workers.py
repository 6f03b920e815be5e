"""Several server processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's own `--workers` shares one socket between its processes, and Linux then hands most new
connections to the same process: measured with wrk on 2 cores, 8 keep-alive connections all landed
on one worker while the other idled (34 requests/s instead of 120). With a socket per process the
kernel spreads connections across them by a hash of the address, as nginx's `reuseport` does.

The workers count their requests in files of one shared folder (prometheus-client's multiprocess
mode), so /metrics adds up every worker's counts whichever worker answers; see use_metrics_folder.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
from collections.abc import Mapping
from pathlib import Path

APP = "paperfeed.web.asgi:app_from_environment"
METRICS_FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own name for it


def use_metrics_folder(folder: Path) -> None:
    """Empty `folder` and name it in the environment the workers inherit, before any of them starts (and
    before this process imports prometheus-client: it reads the variable once, at import). Emptied at
    every start: counts of processes gone since a restart must not add up with the new ones."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[METRICS_FOLDER_VARIABLE] = str(folder.resolve())


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_one(host: str, port: int, options: Mapping) -> None:
    import uvicorn

    config = uvicorn.Config(APP, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def serve_workers(host: str, port: int, workers: int, options: Mapping) -> None:
    """Run `workers` server processes until SIGINT/SIGTERM; then stop them all and return."""
    # Bound once here first, so a port in use is one clear error before any worker starts.
    listening_socket(host, port).close()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_serve_one, args=(host, port, dict(options)), daemon=False)
                 for _ in range(workers)]
    for process in processes:
        process.start()
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight on SIGTERM

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping and all(process.is_alive() for process in processes):
            for process in processes:
                process.join(timeout=0.5)
        stop()  # one worker died (or we were told to stop): take the others down too
        for process in processes:
            process.join(timeout=30)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
