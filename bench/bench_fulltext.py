"""The database backend's full-text search, query by query (not a test).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_search_bench
    .venv/bin/python bench/bench_fulltext.py [--word password] [--runs 9] [--explain] [--quick]

As ``bench-queue`` (rw on the busiest queue's group only, as bench_agent.py), it builds the
agent search's two ticket queries for ``--word`` (as full text, or with ``--quick`` as the
header's quick search) (``tickets.search.search_page``): the first
page of 25 and the count capped at ``search_count_cap``. It times each (median, min, max of
``--runs`` after a warm-up; the id list read first, on PostgreSQL, is timed with them), and
with ``--explain`` prints their ``EXPLAIN (ANALYZE, BUFFERS)``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_tickets import _agent, _machine  # also sets Django up
from django.db import connection

from otrs import policy
from otrs.accounts.models import Group
from otrs.web.pagination import capped_count
from tickets import search, selectors
from tickets.models import Queue


def _time(function, runs: int) -> list[float]:
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--word", default="password")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--quick", action="store_true", help="the header's quick search (number, title or text)"
    )
    args = parser.parse_args()

    counts = selectors.queue_counts(_agent("bench-all", Group.objects.all()))
    queue = Queue.objects.get(pk=max(counts, key=counts.get))
    agent = _agent("bench-queue", Group.objects.filter(pk=queue.group_id))
    criteria = search.Criteria(q=args.word) if args.quick else search.Criteria(fulltext=args.word)
    cap = policy.value("search_count_cap")

    def tickets():
        return search.search_tickets(agent, criteria)

    def page():
        return list(tickets().select_related("queue", "state", "priority", "owner")[:25])

    def count():
        return capped_count(tickets(), cap)

    print(_machine())
    print(f"word {args.word!r}; {len(page())} rows on page 1; count {count()} (cap {cap})")
    for name, function in (("page 1 (25 rows)", page), (f"capped count ({cap})", count)):
        times = _time(function, args.runs)
        print(
            f"{name:24} median {statistics.median(times):8.1f} ms  "
            f"min {min(times):8.1f}  max {max(times):8.1f}"
        )
    if args.explain:
        print("\n--- page 1\n" + _explain(tickets()[:25]))
        print(f"\n--- capped count\n{_explain(tickets().order_by()[: cap + 1])}")


if __name__ == "__main__":
    main()
