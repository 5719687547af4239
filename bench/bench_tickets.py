"""Benchmark of the agent portal's read side (``tickets.selectors``) on a filled database.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench
    .venv/bin/python bench/bench_tickets.py [--runs 7] [--warmup 2] [--queue Raw] [--explain]

It prints a table of wall times (median, min and max of ``--runs`` runs after ``--warmup``
runs) and query counts for: page 1 of the queue view of the busiest queue, the per-queue
counts behind the queue tree, and the zoom of a ticket with 200 articles. Then it shows
that the query counts do not grow with the page size or the number of articles. See
``bench/README.md`` for how to fill the database first.

It creates what it needs if missing: two agents (``bench-queue``, with rw on the busiest
queue's group only, and ``bench-all``, with rw on every group) and, through the actions,
two tickets with 10 and 200 articles. Not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from otrs.accounts.models import Group, GroupGrant, User, UserKind, system_user  # noqa: E402
from otrs.permissions import PermissionKey  # noqa: E402
from tickets import actions, selectors  # noqa: E402
from tickets.choices import Channel, SenderType  # noqa: E402
from tickets.models import Queue, Ticket  # noqa: E402

ZOOM_TITLE = "Benchmark: ticket with {n} articles"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--queue", help="full name of the queue to page (default: the busiest)")
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    args = parser.parse_args()

    all_agent = _agent("bench-all", Group.objects.all())
    counts = selectors.queue_counts(_fresh(all_agent))
    if args.queue:
        queue = Queue.objects.get(full_name=args.queue)
    else:
        queue = Queue.objects.get(pk=max(counts, key=counts.get))
    queue_agent = _agent("bench-queue", Group.objects.filter(pk=queue.group_id))
    small, large = _zoom_ticket(queue, 10), _zoom_ticket(queue, 200)

    print(_machine())
    print(
        f"tickets: {Ticket.objects.count():,}   viewable: {sum(counts.values()):,}   "
        f"queue {queue.full_name!r}: {counts.get(queue.pk, 0):,} viewable tickets"
    )
    print(f"median of {args.runs} runs after {args.warmup} warm-up runs; fresh user per run")
    print()
    cases = [
        (
            f"queue page 1, 50 rows, oldest first ({queue.full_name}, rw on its group)",
            queue_agent,
            lambda u: selectors.queue_page(u, queue, per_page=50),
        ),
        (
            "queue page 1, 50 rows, newest first",
            queue_agent,
            lambda u: selectors.queue_page(u, queue, per_page=50, order="desc"),
        ),
        (
            "queue page 20, 50 rows, oldest first",
            queue_agent,
            lambda u: selectors.queue_page(u, queue, page=20, per_page=50),
        ),
        ("queue counts (rw on that group only)", queue_agent, selectors.queue_counts),
        ("queue counts (rw on every group)", all_agent, selectors.queue_counts),
        (
            "zoom, 200 articles + history",
            queue_agent,
            lambda u: selectors.ticket_zoom(u, large.pk),
        ),
    ]
    header = f"{'case':<72} {'median ms':>10} {'min':>8} {'max':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for name, agent, call in cases:
        times, queries = _measure(agent, call, runs=args.runs, warmup=args.warmup)
        print(
            f"{name:<72} {statistics.median(times):>10.1f} {min(times):>8.1f} "
            f"{max(times):>8.1f} {queries:>8}"
        )
    print()
    print("Query counts do not grow with the rows shown:")
    for per_page in (25, 50, 100):
        _times, queries = _measure(
            queue_agent, lambda u, n=per_page: selectors.queue_page(u, queue, per_page=n), 1, 0
        )
        print(f"  queue page with {per_page:>3} rows: {queries} queries")
    for ticket in (small, large):
        _times, queries = _measure(
            queue_agent, lambda u, t=ticket: selectors.ticket_zoom(u, t.pk), 1, 0
        )
        print(f"  zoom of a ticket with {ticket.articles.count():>3} articles: {queries} queries")
    if args.explain:
        _explain(queue_agent, queue, large)


def _machine() -> str:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if vendor == "sqlite" else "SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    return (
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; database: {vendor} ({version})"
    )


def _agent(username: str, groups) -> User:
    agent = User.objects.filter(username=username).first()
    if agent is None:
        agent = User.objects.create_user(username=username, kind=UserKind.AGENT)
        agent.set_unusable_password()
        agent.save()
    for group in groups:
        GroupGrant.objects.get_or_create(user=agent, group=group, key=PermissionKey.RW)
    return agent


def _fresh(user: User) -> User:
    """A new user object, as each request gets one: its grants are not cached yet."""
    return User.objects.get(pk=user.pk)


def _zoom_ticket(queue: Queue, articles: int) -> Ticket:
    title = ZOOM_TITLE.format(n=articles)
    ticket = Ticket.objects.filter(title=title, queue=queue).first()
    if ticket is not None:
        return ticket
    system = system_user()
    first = actions.ArticleInput(
        channel=Channel.EMAIL,
        sender_type=SenderType.CUSTOMER,
        is_visible_for_customer=True,
        subject=title,
        body="The first message.",
        from_address="bench@example.com",
    )
    ticket = actions.create_ticket(title=title, queue=queue, actor=system, article=first)
    for position in range(1, articles):
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.CUSTOMER if position % 2 else SenderType.AGENT,
                is_visible_for_customer=True,
                subject=f"Re: {title}",
                body=f"Message {position} of the conversation.",
                attachments=(
                    [actions.AttachmentInput(filename=f"log-{position}.txt", content=b"x" * 100)]
                    if position % 10 == 0
                    else ()
                ),
            ),
            actor=system,
        )
    return ticket


def _measure(agent: User, call, runs: int, warmup: int) -> tuple[list[float], int]:
    """Wall times of ``runs`` calls after ``warmup`` calls, and the queries of one call.

    The timed calls run without query capture (which costs time of its own per query)."""
    times = []
    for run in range(warmup + runs):
        user = _fresh(agent)
        started = time.perf_counter()
        call(user)
        elapsed = (time.perf_counter() - started) * 1000
        if run >= warmup:
            times.append(elapsed)
    user = _fresh(agent)
    with CaptureQueriesContext(connection) as captured:
        call(user)
    return times, len(captured.captured_queries)


def _explain(agent: User, queue: Queue, ticket: Ticket) -> None:
    for name, call in [
        ("queue page", lambda u: selectors.queue_page(u, queue)),
        ("queue counts", selectors.queue_counts),
        ("zoom", lambda u: selectors.ticket_zoom(u, ticket.pk)),
    ]:
        user = _fresh(agent)
        with CaptureQueriesContext(connection) as captured:
            call(user)
        print(f"\n=== {name}")
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "tickets_" not in sql:
                continue
            print(f"\n-- {sql[:300]}{' ...' if len(sql) > 300 else ''}")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    for (line,) in cursor.fetchall():
                        print(f"   {line}")


if __name__ == "__main__":
    main()
