"""Benchmark of search: the Elasticsearch rebuild rate and search latency, beside the
database backend, on a filled database.

    export DATABASE_URL=sqlite:////tmp/searchbench.sqlite3   # or PostgreSQL / MariaDB
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py filldb --tickets 50000 --articles-per-ticket 3
    .venv/bin/python bench/bench_search.py --elasticsearch http://127.0.0.1:19200 [--threads 2]

It rebuilds the ticket index (``otrs.search.maintenance.rebuild``: documents read in chunks,
bulk requests in flight on ``--threads`` threads), prints the rate, then times searches
(median of ``--runs``) through both backends: a rare word, a common word (first page with
its total), and the ticket search of an agent who may read everything (ids through the access
entry). Without ``--elasticsearch`` it starts noida-db on a free port (the test server).
Not a test.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from otrs.search import DatabaseBackend, maintenance  # noqa: E402
from otrs.search.elastic import ElasticsearchBackend, alias_name, client  # noqa: E402
from tickets.models import Article, Ticket  # noqa: E402


def _server() -> tuple[str, subprocess.Popen]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tempfile.mkdtemp(prefix="noida-bench-")
    binary = str(Path(sys.executable).with_name("noida-db"))
    process = subprocess.Popen(  # noqa: S603
        [
            binary,
            "start",
            "--data-dir",
            data,
            "--only",
            "elasticsearch",
            "--elasticsearch-port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(url, timeout=1).ok:
                return url, process
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("noida-db did not start")


def _time(call, runs: int) -> tuple[float, object]:
    result = call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elasticsearch", help="URL of a running server")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    process = None
    url = args.elasticsearch
    if not url:
        url, process = _server()
    settings.SEARCH_BACKEND = "elasticsearch"
    settings.SEARCH_ELASTICSEARCH_URL = url
    settings.SEARCH_INDEX_PREFIX = "bench-"
    try:
        _run(args)
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)


def _run(args) -> None:
    print(f"{connection.vendor}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"tickets: {Ticket.objects.count():,}   articles: {Article.objects.count():,}")
    progress = maintenance.rebuild("ticket", threads=args.threads, chunk=args.chunk)
    print(
        f"rebuild: {progress.done:,} tickets in {progress.seconds:.1f} s = "
        f"{progress.rate:,.0f} tickets/s ({args.threads} threads, chunks of {args.chunk}); "
        f"load after {os.getloadavg()[0]:.1f}"
    )
    stats = client().indices.stats(index=alias_name("ticket")).body
    size = stats.get("_all", {}).get("primaries", {}).get("store", {}).get("size_in_bytes")
    if size:
        print(f"index size: {size / 1e6:,.1f} MB")

    common = Article.objects.values_list("body", flat=True).first().split()[0]
    rare = Article.objects.order_by("-pk").values_list("body", flat=True).first().split()[-1]
    es, db = ElasticsearchBackend(), DatabaseBackend()
    tickets = Ticket.objects.all()
    print(f"median of {args.runs} runs, ms")
    for label, word in (("rare", rare), ("common", common)):
        ms, page = _time(lambda w=word: es.search("ticket", w, size=25), args.runs)
        print(
            f"  es first page {label:<6} {word!r:<16} {ms:8.1f}   "
            f"total {page.total:,} ({page.relation})"
        )
        ms, _ids = _time(lambda w=word: list(db.filter_tickets(tickets, w)[:25]), args.runs)
        print(f"  db first page {label:<6} {word!r:<16} {ms:8.1f}")


if __name__ == "__main__":
    main()
