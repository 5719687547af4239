"""Benchmark of custom fields on a filled database (issue 11, item 9), through the real agent
screens (Django test client: URL routing, views, access layer, templates).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench
    .venv/bin/python bench/bench_fields.py [--runs 15] [--warmup 3] [--explain]

It makes (once, in bulk SQL, bypassing the actions: a generator, not a way to set values)
a dropdown ``BenchProduct`` (10 values) set on every ticket and a text ``BenchContract``
(``C-<ticket id>``) on every third ticket, both shown as queue-list and search-list columns.
Then it times, as an agent with ``rw`` on every group: the search by a dropdown value in one
queue (page 1), the search by a text prefix, and the queue view of the busiest queue with the
two field columns. Wall time per request (median, min, max), the web process's CPU time
(median; what a machine busy with other work inflates least), and the SQL time and queries
of one more request. It tops up the values of tickets added since its last run (after
``filldb`` grew the database). Not a test. See ``bench/README.md`` for filling the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from otrs.accounts.models import Group, GroupGrant, User, UserKind  # noqa: E402
from otrs.fields.actions import save_definition  # noqa: E402
from otrs.fields.models import FieldDefinition, FieldValue  # noqa: E402
from otrs.fields.selectors import invalidate_definitions  # noqa: E402
from otrs.permissions import PermissionKey  # noqa: E402
from tickets.models import Queue, Ticket  # noqa: E402

SCREENS = {"queue_list": "shown", "search_list": "shown", "zoom": "shown"}
PRODUCTS = [f"p{n}" for n in range(10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False

    # The definitions' cache key names the database; start clean anyway (the script writes
    # definitions in bulk).
    invalidate_definitions()
    product, contract = _fields()
    agent = _agent("bench-all", Group.objects.all())
    agent.rows_per_page = 50
    agent.save(update_fields=["rows_per_page"])
    busiest = (
        Ticket.objects.values("queue_id")
        .order_by()
        .annotate(n=django.db.models.Count("id"))
        .order_by("-n")
        .first()
    )
    queue = Queue.objects.get(pk=busiest["queue_id"])
    client = Client()
    client.force_login(agent)

    search = reverse("agent:search")
    cases = [
        (
            f"search: {product.name} = p3, queue {queue.full_name}, page 1",
            search + "?" + urlencode({"queue": queue.pk, "df_BenchProduct": "p3"}),
        ),
        (
            f"search: {contract.name} starts with C-1234",
            search
            + "?"
            + urlencode({"df_BenchContract_op": "prefix", "df_BenchContract": "C-1234"}),
        ),
        (
            f"queue view {queue.full_name}, 2 field columns",
            reverse("agent:queues") + f"?queue={queue.pk}",
        ),
    ]
    print(_machine())
    print(
        f"tickets: {Ticket.objects.count():,}; values: {FieldValue.objects.count():,}; "
        f"runs: {args.runs} after {args.warmup} warm-ups\n"
    )
    print(f"load average before: {_load()}\n")
    print(
        "| case | median ms | min | max | web CPU ms | SQL ms | queries |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    for title, url in cases:
        times, cpu, sql, queries, status = _measure(client, url, args.runs, args.warmup)
        print(
            f"| {title} | {statistics.median(times):.1f} | {min(times):.1f} | "
            f"{max(times):.1f} | {statistics.median(cpu):.1f} | {sql:.1f} | {queries} |"
            + ("" if status == 200 else f" HTTP {status}")
        )
    print(f"\nload average after: {_load()}")
    if args.explain:
        for title, url in cases:
            print(f"\n## {title}")
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            for query in captured.captured_queries:
                sql = query["sql"]
                if "fields_fieldvalue" not in sql:
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN ANALYZE " + sql)
                    print(sql[:300], "\n", "\n".join(row[0] for row in cursor.fetchall()))


def _fields() -> tuple[FieldDefinition, FieldDefinition]:
    product = FieldDefinition.objects.filter(object_type="ticket", name="BenchProduct").first()
    if product is None:
        product = save_definition(
            FieldDefinition(
                name="BenchProduct",
                label="Bench product",
                object_type="ticket",
                field_type="dropdown",
                screens=SCREENS,
                order=901,
            ),
            [{"key": key, "label": f"Product {key[1:]}"} for key in PRODUCTS],
        )
    contract = FieldDefinition.objects.filter(object_type="ticket", name="BenchContract").first()
    if contract is None:
        contract = save_definition(
            FieldDefinition(
                name="BenchContract",
                label="Bench contract",
                object_type="ticket",
                field_type="text",
                screens=SCREENS,
                order=902,
            )
        )
    # Values for every ticket that has none yet (so the script tops up after `filldb` added
    # tickets: ids only grow, so "newer than the newest valued ticket" finds them).
    started = time.perf_counter()
    table = FieldValue._meta.db_table
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Portable SQL: CASE on id % 10 for the dropdown, every third ticket a contract.
        cases = " ".join(f"WHEN {n} THEN '{key}'" for n, key in enumerate(PRODUCTS))
        text = "CONCAT('C-', id)" if connection.vendor == "mysql" else "'C-' || id"
        newest = f"(SELECT COALESCE(MAX(object_id), 0) FROM {table} WHERE field_id = %s)"  # noqa: S608
        # The table name comes from the model, the rest are constants of this script.
        cursor.execute(
            f"INSERT INTO {table} (field_id, object_type, object_id, value_text) "  # noqa: S608
            f"SELECT %s, 'ticket', id, CASE id %% 10 {cases} END FROM tickets_ticket "
            f"WHERE id > {newest}",
            [product.pk, product.pk],
        )
        written += cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} (field_id, object_type, object_id, value_text) "  # noqa: S608
            f"SELECT %s, 'ticket', id, {text} FROM tickets_ticket "
            f"WHERE id %% 3 = 0 AND id > {newest}",
            [contract.pk, contract.pk],
        )
        written += cursor.rowcount
    if written:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        print(f"{written:,} values written in {time.perf_counter() - started:.1f} s")
    return product, contract


def _measure(
    client: Client, url: str, runs: int, warmup: int
) -> tuple[list[float], list[float], float, int, int]:
    """Wall times and the web process's CPU times per request (ms; CPU time is what a busy
    machine inflates least), then the SQL time and the queries of one more request."""
    times, cpu = [], []
    status = 0
    for run in range(warmup + runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        status = client.get(url).status_code
        elapsed = (time.perf_counter() - started) * 1000
        if run >= warmup:
            times.append(elapsed)
            cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    sql = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    return times, cpu, sql, len(captured.captured_queries), status


def _load() -> str:
    try:
        return " ".join(f"{n:.2f}" for n in os.getloadavg())
    except OSError:
        return "unknown"


def _agent(username: str, groups) -> User:
    agent = User.objects.filter(username=username).first()
    if agent is None:
        agent = User.objects.create_user(username=username, kind=UserKind.AGENT)
        agent.set_unusable_password()
        agent.save()
    for group in groups:
        GroupGrant.objects.get_or_create(user=agent, group=group, key=PermissionKey.RW)
    return agent


def _machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor != "sqlite" else "SELECT 1")
        version = str(cursor.fetchone()[0]).split(" on ")[0]
    return f"machine: {os.cpu_count()} cores; database: {connection.vendor} ({version})"


if __name__ == "__main__":
    main()
