"""Benchmark of the SLA clocks on a filled database (see bench/README.md, ``filldb``).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench
    .venv/bin/python bench/bench_sla.py [--sample 3000] [--rounds 3]

Three figures:

1. **recompute**: :func:`tickets.actions.escalation.recompute_escalations` (what the event
   handler does after each change) for ``--sample`` open tickets, each under its row lock;
   printed per ticket and projected to 300,000 open tickets (the work is per ticket, so
   the projection is linear; ``--sample 300000`` measures it whole).
2. **escalation round**: one :func:`tickets.actions.escalation.check_escalations` (the
   daemon's five-minute run) on the whole table: the indexed candidate query, then the
   claimed tickets (at most 1,000); run ``--rounds`` times at five-minute steps of a fake
   clock, so each round finds the previous round's claims expired.
3. **candidate query** alone, with its plan on PostgreSQL.

Before measuring, every queue gets targets (60/240/960 minutes, warning at 80 %) on the
default calendar if it has none, and the open tickets' escalation columns are filled by a
bulk UPDATE (created + 60 minutes of wall time, a benchmark shortcut: the real values come
from the handler), so the round finds as many candidates as a real desk with that many
open tickets would. Not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import F, Q  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tickets.actions import escalation  # noqa: E402
from tickets.choices import VIEWABLE_STATE_TYPES  # noqa: E402
from tickets.metrics import refresh_metrics  # noqa: E402
from tickets.models import Queue, Ticket  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    total = Ticket.objects.count()
    open_tickets = Ticket.objects.filter(state__state_type__in=VIEWABLE_STATE_TYPES)
    n_open = open_tickets.count()
    print(
        f"{connection.vendor}, {total:,} tickets, {n_open:,} open; {platform.python_version()}",
        flush=True,
    )

    _targets()
    started = time.perf_counter()
    # Wall-clock due times for the candidate query (benchmark shortcut, see the docstring).
    Ticket.objects.filter(state__state_type__in=VIEWABLE_STATE_TYPES).update(
        escalation_at=F("created_at") + timedelta(hours=1),
        escalation_response_at=F("created_at") + timedelta(hours=1),
        escalation_checked_at=None,
    )
    print(f"bulk index fill: {time.perf_counter() - started:.1f} s (setup, not measured)")

    ids = list(open_tickets.order_by("-id").values_list("pk", flat=True)[: args.sample])
    with CaptureQueriesContext(connection) as captured:
        escalation.recompute_escalations(ids[:20])
    per_ticket_queries = len(captured.captured_queries) / 20
    started = time.perf_counter()
    escalation.recompute_escalations(ids)
    elapsed = time.perf_counter() - started
    per = elapsed / len(ids)
    print()
    print("| case | figure |")
    print("|---|---:|")
    print(f"| recompute, {len(ids):,} open tickets | {elapsed:.1f} s |")
    print(f"| recompute, per ticket | {per * 1000:.2f} ms, {per_ticket_queries:.1f} queries |")
    print(f"| recompute, projected for 300,000 open tickets | {per * 300_000 / 60:.1f} min |")
    # The metrics handler's work for the same tickets (issue 14 part 6): rows rebuilt from
    # history, articles and time accounting in batches of 500.
    with CaptureQueriesContext(connection) as captured:
        refresh_metrics(ids[:20])
    metrics_queries = len(captured.captured_queries) / 20
    started = time.perf_counter()
    refresh_metrics(ids)
    elapsed = time.perf_counter() - started
    per = elapsed / len(ids)
    print(f"| metrics rows, {len(ids):,} tickets | {elapsed:.1f} s |")
    print(f"| metrics rows, per ticket | {per * 1000:.2f} ms, {metrics_queries:.2f} queries |")

    # A weekday 10:00 UTC, inside the default calendar's working hours, so that the rounds
    # act (outside them a round only claims and computes).
    now = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    while now.weekday() >= 5:
        now += timedelta(days=1)
    candidate_filter = Q(escalation_at__isnull=False, escalation_at__lte=now + escalation.LOOKAHEAD)
    started = time.perf_counter()
    found = list(
        Ticket.objects.filter(candidate_filter)
        .order_by("escalation_at", "id")
        .values_list("pk", flat=True)[: escalation.RUN_LIMIT]
    )
    print(
        f"| candidate query (1,000 of the due) | {(time.perf_counter() - started) * 1000:.1f} ms |"
    )
    for index in range(args.rounds):
        moment = now + timedelta(minutes=5 * index)
        counter = _Counter()
        # Counted by a wrapper: CaptureQueriesContext keeps only the last 9,000 queries.
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            result = escalation.check_escalations(moment)
            elapsed = time.perf_counter() - started
        print(
            f"| escalation round {index + 1}: {result.checked} checked, "
            f"{len(result.events)} events, {result.outside_working_time} outside working time "
            f"| {elapsed:.1f} s, {counter.count:,} queries |",
            flush=True,
        )
    if connection.vendor == "postgresql":
        sql, params = (
            Ticket.objects.filter(candidate_filter)
            .order_by("escalation_at", "id")
            .values_list("pk", flat=True)[: escalation.RUN_LIMIT]
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n" + "\n".join(row[0] for row in cursor.fetchall()))
    print(f"\n{len(found)} candidates")


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _targets() -> None:
    Queue.objects.filter(first_response_time=0, update_time=0, solution_time=0).update(
        first_response_time=60,
        first_response_notify=80,
        update_time=240,
        update_notify=80,
        solution_time=960,
        solution_notify=80,
        calendar=None,
    )


if __name__ == "__main__":
    main()
