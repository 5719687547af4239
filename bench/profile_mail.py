"""Where one mail's time goes (not a test): queries and a cProfile of the intake.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench_mail_perf
    .venv/bin/python bench/profile_mail.py [--count 200] [--queries] [--profile] [--top 40]

``--queries`` lists the SQL of one new-ticket mail and of one follow-up (by subject number),
``--profile`` runs ``--count`` mails (half new, half follow-ups) under cProfile and prints the
``--top`` functions by cumulative time. Without either flag it prints the per-step split:
milliseconds and queries per mail for each step of the intake (see ``bench/README.md``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django  # noqa: E402

django.setup()

from bench_mail import _setup, message  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import tickets.postmaster as postmaster  # noqa: E402
from tickets import autoresponses  # noqa: E402
from tickets.actions import articles, history  # noqa: E402
from tickets.models import InboundSource  # noqa: E402
from tickets.postmaster import intake  # noqa: E402


def _mails(count: int, number: str, attach: int = 0) -> list[bytes]:
    return [
        message(f"Re: [Ticket#{number}] more" if i % 2 else f"Request {i}", attach=attach)
        for i in range(count)
    ]


def queries(number: str) -> None:
    for label, raw in (
        ("new ticket", message("A new request")),
        ("follow-up", message(f"Re: [Ticket#{number}] more")),
    ):
        with CaptureQueriesContext(connection) as ctx:
            intake.receive(raw, source=InboundSource.PIPE)
        print(f"\n== {label}: {len(ctx.captured_queries)} queries")
        for i, q in enumerate(ctx.captured_queries, 1):
            print(f"{i:3d} {q['time']:>6}s {q['sql'][:220]}")


def profile(
    count: int,
    number: str,
    top: int,
    attach: int = 0,
    *,
    cpu: bool = False,
    sort: str = "cumulative",
) -> None:
    raws = _mails(count, number, attach)
    # ``cpu``: this process's CPU time, not the wall clock (the database's own time and the
    # waits for it left out, which a busy machine inflates most).
    prof = cProfile.Profile(time.process_time) if cpu else cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    for raw in raws:
        intake.receive(raw, source=InboundSource.PIPE)
    prof.disable()
    seconds = time.perf_counter() - start
    print(f"{count} mails in {seconds:.2f} s: {count / seconds:.1f}/s (under the profiler)")
    pstats.Stats(prof).sort_stats(sort).print_stats(top)


# The steps of the intake, each a function wrapped to time it and count its queries. A step
# called inside another counts in both ("ticket creation" includes its article and history).
STEPS = [
    ("store", intake, "store"),
    ("parse", intake, "parse_message"),
    ("filters", postmaster, "run_filters"),
    ("follow-up detection", postmaster, "detect"),
    ("same message", postmaster, "_same_message"),
    ("ticket creation", postmaster.actions, "create_ticket"),
    ("ticket creation", postmaster.actions, "create_ticket_with_article"),
    ("article (+ raw, attachments)", articles, "_add_article"),
    ("follow-up actions", postmaster._Run, "_accept"),
    ("history + events", history, "record_history"),
    ("history + events", history, "_write"),
    ("auto reply (sent in the intake)", postmaster, "send_auto_response"),
    ("auto reply (recorded as an event)", postmaster, "request_auto_response"),
    ("auto reply: send_email", autoresponses, "send_email"),
]


def split(count: int, number: str) -> None:
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    originals = []
    for label, owner, name in STEPS:
        original = getattr(owner, name, None)
        if original is None:  # a step this version does not have
            continue

        def wrapped(*args, _orig=original, _label=label, **kwargs):
            before = len(connection.queries_log)
            start = time.perf_counter()
            try:
                return _orig(*args, **kwargs)
            finally:
                totals[_label][0] += time.perf_counter() - start
                totals[_label][1] += len(connection.queries_log) - before

        if isinstance(owner, type):
            setattr(owner, name, lambda self, *a, _w=wrapped, **k: _w(self, *a, **k))
            originals.append((owner, name, original))
            continue
        # Every module that imported the function by name gets the counting one.
        for module in list(sys.modules.values()):
            if getattr(module, name, None) is original:
                setattr(module, name, wrapped)
                originals.append((module, name, original))
    raws = _mails(count, number)
    connection.force_debug_cursor = True
    start, cpu = time.perf_counter(), time.process_time()
    before = len(connection.queries_log)
    for raw in raws:
        intake.receive(raw, source=InboundSource.PIPE)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    total_queries = len(connection.queries_log) - before
    connection.force_debug_cursor = False
    for owner, name, original in originals:
        setattr(owner, name, original)
    print(f"{count} mails (half new, half follow-ups), {count / seconds:.1f}/s with counting")
    print(f"{'step':<32} {'ms/mail':>8} {'queries/mail':>13}")
    for label in dict.fromkeys(label for label, _owner, _name in STEPS):
        ms, q = totals[label]
        print(f"{label:<32} {ms * 1000 / count:8.2f} {q / count:13.1f}")
    print(f"{'whole receive()':<32} {seconds * 1000 / count:8.2f} {total_queries / count:13.1f}")
    print(f"{'worker CPU of receive()':<32} {cpu * 1000 / count:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--auto-reply", action="store_true", help="as bench_mail.py's")
    parser.add_argument("--cpu", action="store_true", help="--profile: CPU time, not wall")
    parser.add_argument("--sort", default="cumulative", help="--profile: pstats sort key")
    parser.add_argument(
        "--attach", type=int, default=0, help="--profile: an attachment of this many KiB"
    )
    args = parser.parse_args()
    _setup(auto_reply=args.auto_reply)
    first = intake.receive(message("warm-up"), source=InboundSource.PIPE)
    number = first.ticket.number
    intake.receive(message(f"Re: [Ticket#{number}] warm-up"), source=InboundSource.PIPE)
    if args.queries:
        queries(number)
    if args.profile:
        profile(args.count, number, args.top, args.attach * 1024, cpu=args.cpu, sort=args.sort)
    if not (args.queries or args.profile):
        split(args.count, number)


if __name__ == "__main__":
    main()
