"""Benchmark of the agent portal's pages, end to end through Django (not a test).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench
    .venv/bin/python bench/bench_agent.py [--runs 9] [--warmup 2] [--word printer] [--sorts] [--api]

Each page is requested with Django's test client, signed in as ``bench-queue`` (rw on the
busiest queue's group only), so the time includes the middleware, the access layer, the
queries and the template rendering, but no network or web server. It reports the server time
(median, min and max of ``--runs`` requests after ``--warmup``) and the query count of: the
dashboard, page 1 of the busiest queue, the zoom of a ticket with 200 articles, and a
full-text search for ``--word``; with ``--sorts``, the busiest queue's page 1 sorted by each
column header instead; with ``--api``, the REST API's calls of issue 16's figures instead
(with a read token of the same agent): a page of 50 open tickets of the busiest queue with
its total, the 200-article ticket, and its 200 articles in one page. Fill the database first
(see bench/README.md); the agents and the 200-article ticket are made by
``bench_tickets.py``'s helpers if missing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

from bench_tickets import _agent, _machine, _zoom_ticket  # also sets Django up
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otrs.accounts.models import Group
from otrs.api.tokens import create_token
from tickets import selectors
from tickets.models import Queue, Ticket


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--word", default="printer", help="the full-text search term")
    parser.add_argument(
        "--sorts", action="store_true", help="the queue view sorted by each column header"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the PostgreSQL plan of each page's ordered ticket queries",
    )
    parser.add_argument("--api", action="store_true", help="the REST API's calls instead")
    args = parser.parse_args()

    counts = selectors.queue_counts(_agent("bench-all", Group.objects.all()))
    queue = Queue.objects.get(pk=max(counts, key=counts.get))
    agent = _agent("bench-queue", Group.objects.filter(pk=queue.group_id))
    zoom = _zoom_ticket(queue, 200)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)

    pages = [
        ("dashboard", "/agent/"),
        (
            f"queue view, page 1 ({queue.full_name}, {counts[queue.pk]:,} viewable)",
            f"/agent/queues/?queue={queue.pk}",
        ),
        ("zoom, 200 articles", f"/agent/tickets/{zoom.pk}/"),
        (f"full-text search {args.word!r}", f"/agent/search/?fulltext={args.word}"),
        (f"quick search {args.word!r}", f"/agent/search/?q={args.word}"),
    ]
    if args.sorts:
        queue_url = f"/agent/queues/?queue={queue.pk}"
        pages = [
            (f"queue view sorted by {sort} {order}", f"{queue_url}&sort={sort}&order={order}")
            for sort in ("age", "number", "title", "state", "priority", "escalation")
            for order in ("asc", "desc")
        ]
    if args.api:
        _row, token = create_token(
            agent,
            name="bench",
            scope="read",
            expires_at=timezone.now() + timedelta(hours=1),
            actor=agent,
        )
        client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
        pages = [
            (
                "API: 50 open tickets of the queue, with total",
                f"/api/v1/tickets/?queue={queue.pk}&state_type=open&page_size=50",
            ),
            ("API: ticket with 200 articles", f"/api/v1/tickets/{zoom.pk}/"),
            (
                "API: its 200 articles, one page",
                f"/api/v1/tickets/{zoom.pk}/articles/?page_size=200",
            ),
        ]
    print(_machine())
    print(
        f"tickets: {Ticket.objects.count():,}; median of {args.runs} requests after "
        f"{args.warmup} warm-up requests; signed in as {agent.username}"
    )
    print()
    print(f"{'page':60} {'status':>6} {'median ms':>10} {'min':>8} {'max':>8} {'queries':>8}")
    print("-" * 104)
    for name, url in pages:
        times = []
        for run in range(args.warmup + args.runs):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if run >= args.warmup:
                times.append(elapsed)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        print(
            f"{name:60} {response.status_code:>6} {statistics.median(times):>10.1f} "
            f"{min(times):>8.1f} {max(times):>8.1f} {len(captured.captured_queries):>8}"
        )
        if args.explain:
            _explain(captured.captured_queries)


def _explain(queries) -> None:
    """The plans of the ordered ticket queries among ``queries`` (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return
    for query in queries:
        sql = query["sql"]
        if 'FROM "tickets_ticket"' not in sql or "ORDER BY" not in sql:
            continue
        print(f"  -- {sql[:200]} ...")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")
            for (line,) in cursor.fetchall():
                print(f"     {line}")


if __name__ == "__main__":
    main()
