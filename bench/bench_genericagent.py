"""Benchmark of a GenericAgent job that matches many tickets and changes their state
(issue 15): tickets per second and memory, dry run and real run.

    export DATABASE_URL=sqlite:////tmp/ga_bench.sqlite3     # or PostgreSQL / MariaDB
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py filldb --tickets 100000
    .venv/bin/python bench/bench_genericagent.py --match 100000 [--state "closed unsuccessful"]

The job selects the ``--match`` oldest tickets (``created <= <the N-th creation time>``, one
indexed range), sets ``--state`` on each through the actions (one transaction per ticket,
row lock, history row, event in the outbox) and keeps the trace. A limit above the match
count, so every ticket is taken. It prints: matched, changed, skipped, wall time, tickets
per second, the process's CPU time per ticket (``time.process_time``: the load of other
processes on the machine moves it far less than the wall time), the load average, the
process's peak resident memory (``ru_maxrss``) and, with ``--heap``, the Python heap peak
of the run (tracemalloc). Tickets already in the target state are skipped
("nothing to change") and counted as such. The outbox batches are handed to the configured
broker after each commit as in production (no worker needs to run: this measures the job).
``--profile FILE`` runs the real run under cProfile and writes its statistics to FILE (read
them with ``python -m pstats FILE``; the per-ticket figures then include the profiler's own
cost). Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from otrs.events import outbox  # noqa: E402
from tickets.automation.actions import save_job  # noqa: E402
from tickets.automation.engine import run_job  # noqa: E402
from tickets.models import GenericAgentJob, RunTrigger, State, Ticket  # noqa: E402

NAME = "Bench: change state"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--match", type=int, default=100_000)
    parser.add_argument("--state", default="closed unsuccessful")
    parser.add_argument("--skip-dry-run", action="store_true")
    parser.add_argument("--dry-run-only", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the real run into FILE")
    parser.add_argument(
        "--heap", action="store_true", help="also trace the Python heap (slows the run down)"
    )
    args = parser.parse_args()

    # Batches go to the broker after each commit; a broker that is not there only logs (the
    # sweep would deliver later), which is what a bench without workers wants.
    outbox.logger.disabled = True
    state = State.objects.get(name=args.state)
    total = Ticket.objects.count()
    if total < args.match:
        sys.exit(f"Only {total} tickets; run filldb first.")
    bound = (
        Ticket.objects.order_by("created_at", "pk")
        .values_list("created_at", flat=True)[args.match - 1 : args.match]
        .get()
    )
    GenericAgentJob.objects.filter(name=NAME).delete()
    job = save_job(
        GenericAgentJob(
            name=NAME,
            selection={"all": [{"attr": "created", "op": "range", "value": [None, bound]}]},
            changes={"state": state.pk},
            run_limit=args.match * 2,
        )
    )
    already = Ticket.objects.filter(created_at__lte=bound, state=state).count()
    print(
        f"{connection.vendor}: {total} tickets; the job matches the {args.match} oldest, "
        f"{already} of them already '{state.name}'"
    )

    if not args.skip_dry_run:
        _measure(
            "dry run", lambda: run_job(job, trigger=RunTrigger.COMMAND, dry_run=True), args.heap
        )
    if args.dry_run_only:
        return
    _measure("real run", lambda: run_job(job, trigger=RunTrigger.COMMAND), args.heap, args.profile)


def _measure(label: str, run_it, heap: bool, profile: str | None = None) -> None:
    if heap:
        tracemalloc.start()
    profiler = cProfile.Profile() if profile else None
    load = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    run = run_it()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    load = (load + os.getloadavg()[0]) / 2
    heap_text = ""
    if heap:
        _current, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        heap_text = f", Python heap peak {heap_peak / 2**20:,.1f} MB"
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: matched {run.matched}, changed {run.changed}, skipped {run.skipped}, "
        f"failed {run.failed}, left by the limit {run.over_limit}; {elapsed:.1f} s, "
        f"{run.matched / elapsed:,.0f} tickets/s; CPU {cpu:.1f} s, "
        f"{1000 * cpu / max(run.matched, 1):.2f} ms a ticket; peak RSS {rss_mb:,.0f} MB"
        f"{heap_text}; load average {load:.1f} (start and end)"
    )


if __name__ == "__main__":
    main()
