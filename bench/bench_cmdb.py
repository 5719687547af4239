"""Benchmark of the CMDB (issue 13) on a filled database, through the real agent screens
(Django test client: routing, views, access layer, templates) and the real action.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_cmdb_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_cmdb.py [--cis 200000] [--links 500000] [--runs 10]

It fills (once, in bulk SQL, bypassing the actions: a generator, not a way to make CIs)
``--cis`` CIs spread over the five default classes, each with one version and 20 typed
attribute values, and ``--links`` "depends on" links: a hub CI with 1,000 CIs depending on it
and the rest random. Then it times, as an agent with rw on the CMDB group: the list of one
class filtered by a searchable attribute (text prefix), the CI page of the hub (graph
included, 1,000 dependents), and the action that raises an incident on the hub (propagation
to its 1,000 dependents and what hangs off them) and the one that ends it. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
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

from cmdb import actions  # noqa: E402
from cmdb import attributes as attrs_module  # noqa: E402
from cmdb.actions._import import columns as import_columns  # noqa: E402
from cmdb.choices import Catalog, LinkType  # noqa: E402
from cmdb.defaults import DEFAULT_GROUP  # noqa: E402
from cmdb.models import (  # noqa: E402
    Attribute,
    AttributeValue,
    CatalogItem,
    ConfigItem,
    Definition,
    Link,
    Version,
)
from otrs.accounts.models import Group, GroupGrant, User, UserKind, system_user  # noqa: E402
from otrs.permissions import PermissionKey  # noqa: E402

PREFIX = "bench-"
VALUES_PER_CI = 20
BATCH = 5_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cis", type=int, default=200_000)
    parser.add_argument("--links", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--import-rows", type=int, default=1000)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DEBUG = False
    started = time.perf_counter()
    hub = _fill(args.cis, args.links)
    print(
        f"data ready in {time.perf_counter() - started:.0f} s: "
        f"{ConfigItem.objects.count()} CIs, {Link.objects.count()} links, "
        f"{AttributeValue.objects.count()} values; {_machine()}"
    )
    agent = _agent()
    client = Client()
    client.force_login(agent)
    computer = CatalogItem.objects.get(catalog=Catalog.CLASS, name="Computer")
    vendor = Attribute.objects.get(ci_class=computer, key="Vendor", removed=False)
    cases = [
        (
            "list: class Computer, Vendor starts with 'Vendor 7'",
            reverse("agent:cmdb_list")
            + "?"
            + urlencode({"ci_class": computer.pk, "attribute": vendor.pk, "value": "Vendor 7"}),
        ),
        (
            "list: class Computer, first page",
            reverse("agent:cmdb_list") + f"?ci_class={computer.pk}",
        ),
        ("CI page of the hub (1,000 dependents, graph)", reverse("agent:cmdb_ci", args=[hub.pk])),
        ("overview (counts per class and state)", reverse("agent:cmdb")),
    ]
    print("| case | median ms | min | max | queries |\n|---|---:|---:|---:|---:|")
    for title, url in cases:
        times, queries, status = _measure(client, url, args.runs, args.warmup)
        assert status == 200, (url, status)
        print(
            f"| {title} | {statistics.median(times):.1f} | {min(times):.1f} | "
            f"{max(times):.1f} | {queries} |"
        )
    system = system_user()
    raised, ended, warned = [], [], 0
    for _run in range(3):
        t0 = time.perf_counter()
        actions.set_incident_state(hub, "Incident", actor=system)
        raised.append((time.perf_counter() - t0) * 1000)
        warned = ConfigItem.objects.filter(current_incident_state__name="Warning").count()
        t0 = time.perf_counter()
        actions.set_incident_state(hub, "Operational", actor=system)
        ended.append((time.perf_counter() - t0) * 1000)
    for label, times in (
        (f"raise an incident on the hub ({warned} CIs warned)", raised),
        ("end it (the warnings clear)", ended),
    ):
        print(
            f"| action: {label} | {statistics.median(times):.1f} | {min(times):.1f} | "
            f"{max(times):.1f} | - |"
        )
    _import_rate(system, args.import_rows)
    print(_machine())


def _import_rate(system, count: int) -> None:
    """The CSV import's rate (the action ``cmdb_import`` and the web form call): ``count``
    new Software CIs with every top-level text attribute and the required catalogue values,
    first as a dry run, then for real (batches of 200, as the command), then the same rows
    again as a dry run (every row matched by name and unchanged)."""
    software = CatalogItem.objects.get(catalog=Catalog.CLASS, name="Software")
    tree = attrs_module.Definition.of(software)
    by_path = {path: column for column, path in import_columns(tree).items()}
    rows = []
    stamp = int(time.time())
    for n in range(count):
        row = {"Name": f"{PREFIX}import-{stamp}-{n}", "Deployment state": "Production"}
        row["Incident state"] = "Operational"
        for attribute in tree.top:
            column = by_path.get(f"{attribute.pk}:0")
            if column is None:
                continue
            if attribute.field_type in ("text", "textarea"):
                row[column] = f"{attribute.key[:6]} {n % 997}"
            elif attribute.field_type == "catalog" and attribute.required:
                row[column] = attrs_module.Spec(attribute).options()[0].key
        rows.append(row)
    for label, dry_run in (
        ("dry run, all new", True),
        ("import, all new", False),
        ("dry run, all unchanged", True),
    ):
        t0 = time.perf_counter()
        results = actions.import_rows(software, rows, key="name", actor=system, dry_run=dry_run)
        seconds = time.perf_counter() - t0
        outcomes: dict[str, int] = {}
        for result in results:
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        print(
            f"| import {count} rows: {label} ({outcomes}) | {seconds * 1000:.0f} ms total, "
            f"{count / seconds:.0f} rows/s | | | - |"
        )


def _fill(count: int, links: int) -> ConfigItem:
    existing = ConfigItem.objects.filter(name__startswith=PREFIX).count()
    if existing >= count:
        return ConfigItem.objects.get(name=f"{PREFIX}hub")
    rng = random.Random(13)
    classes = list(CatalogItem.objects.filter(catalog=Catalog.CLASS).order_by("pk"))
    production = CatalogItem.objects.get(catalog=Catalog.DEPLOYMENT_STATE, name="Production")
    operational = CatalogItem.objects.get(catalog=Catalog.INCIDENT_STATE, name="Operational")
    system = system_user()
    plan = {}
    for ci_class in classes:
        attrs = list(
            Attribute.objects.filter(
                ci_class=ci_class, removed=False, parent=None, field_type__in=["text", "textarea"]
            )
        )
        definition = Definition.objects.filter(ci_class=ci_class).order_by("-version").first()
        plan[ci_class.pk] = (attrs, definition)
    made = existing
    if connection.vendor == "postgresql":
        return _fill_sql(classes, plan, production, operational, system, made, count, links)
    with transaction.atomic():
        while made < count:
            chunk = min(BATCH, count - made)
            cis = []
            for n in range(made, made + chunk):
                ci_class = classes[n % len(classes)]
                name = f"{PREFIX}hub" if n == 0 else f"{PREFIX}{n}"
                cis.append(
                    ConfigItem(
                        number=f"B{n:09d}",
                        name=name,
                        ci_class=ci_class,
                        deployment_state=production,
                        incident_state=operational,
                        current_incident_state=operational,
                    )
                )
            ConfigItem.objects.bulk_create(cis)
            cis = list(ConfigItem.objects.filter(number__in=[c.number for c in cis]))
            versions = [
                Version(
                    configitem=ci,
                    number=1,
                    name=ci.name,
                    definition=plan[ci.ci_class_id][1],
                    deployment_state=production,
                    incident_state=operational,
                    created_by=system,
                )
                for ci in cis
            ]
            Version.objects.bulk_create(versions)
            by_ci = dict(
                Version.objects.filter(configitem__in=cis).values_list("configitem_id", "pk")
            )
            for ci in cis:
                ci.last_version_id = by_ci[ci.pk]
            ConfigItem.objects.bulk_update(cis, ["last_version"])
            values = []
            for ci in cis:
                attrs = plan[ci.ci_class_id][0]
                for i in range(VALUES_PER_CI):
                    attribute = attrs[i % len(attrs)]
                    position = i // len(attrs)
                    if position >= attribute.count_max:
                        attribute, position = attrs[0], 0
                        continue
                    text = f"{attribute.key[:6]} {rng.randrange(1000)}"
                    if attribute.key == "Vendor":
                        text = f"Vendor {rng.randrange(100)}"
                    column = "value_long" if attribute.field_type == "textarea" else "value_text"
                    values.append(
                        AttributeValue(
                            version_id=by_ci[ci.pk],
                            attribute=attribute,
                            position=position,
                            **{column: text},
                        )
                    )
            AttributeValue.objects.bulk_create(values, batch_size=BATCH)
            made += chunk
            print(f"  {made} CIs", file=sys.stderr)
        ids = list(
            ConfigItem.objects.filter(name__startswith=PREFIX)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        hub = ids[0]
        pairs = set()
        for dependent in ids[1:1001]:  # 1,000 CIs depend on the hub
            pairs.add((dependent, hub))
        while len(pairs) < links:
            a, b = rng.choice(ids[1001:]), rng.choice(ids[1001:])
            if a != b:
                pairs.add((a, b))
        rows = [Link(source_id=a, target_id=b, link_type=LinkType.DEPENDS_ON) for a, b in pairs]
        Link.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return ConfigItem.objects.get(pk=hub)


def _fill_sql(classes, plan, production, operational, system, made, count, links) -> ConfigItem:
    """The same data as the loop of :func:`_fill`, made by PostgreSQL itself (generate_series):
    minutes instead of an hour at 500,000 CIs. Random values, so not byte-equal to the loop's."""
    rows = []  # (class, slot i, attribute, position, column, is Vendor, text prefix)
    for ci_class in classes:
        attrs = plan[ci_class.pk][0]
        for i in range(VALUES_PER_CI):
            attribute, position = attrs[i % len(attrs)], i // len(attrs)
            if position < attribute.count_max:
                rows.append(
                    (
                        ci_class.pk,
                        attribute.pk,
                        position,
                        attribute.field_type == "textarea",
                        attribute.key == "Vendor",
                        attribute.key[:6],
                    )
                )
    class_ids = [c.pk for c in classes]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM cmdb_configitem")
        before = cursor.fetchone()[0]
        cursor.execute(
            """INSERT INTO cmdb_configitem (number, name, created_at, changed_at, ci_class_id,
                   current_incident_state_id, deployment_state_id, incident_state_id)
               SELECT 'B' || lpad(n::text, 9, '0'),
                      CASE WHEN n = 0 THEN %s ELSE %s || n END, now(), now(),
                      (%s::bigint[])[n %% %s + 1], %s, %s, %s
               FROM generate_series(%s, %s) AS n ORDER BY n""",
            [
                f"{PREFIX}hub",
                PREFIX,
                class_ids,
                len(class_ids),
                operational.pk,
                production.pk,
                operational.pk,
                made,
                count - 1,
            ],
        )
        cursor.execute(
            """INSERT INTO cmdb_version (number, name, created_at, configitem_id, created_by_id,
                   definition_id, deployment_state_id, incident_state_id)
               SELECT 1, ci.name, now(), ci.id, %s, d.definition, %s, %s
               FROM cmdb_configitem ci
               JOIN unnest(%s::bigint[], %s::bigint[]) AS d(ci_class, definition)
                 ON d.ci_class = ci.ci_class_id
               WHERE ci.id > %s ORDER BY ci.id""",
            [
                system.pk,
                production.pk,
                operational.pk,
                class_ids,
                [plan[pk][1].pk for pk in class_ids],
                before,
            ],
        )
        cursor.execute(
            """UPDATE cmdb_configitem ci SET last_version_id = v.id FROM cmdb_version v
               WHERE v.configitem_id = ci.id AND ci.id > %s""",
            [before],
        )
        columns = list(zip(*rows, strict=True))
        cursor.execute(
            """INSERT INTO cmdb_attributevalue (position, value_text, value_long, attribute_id,
                   version_id)
               SELECT p.position, CASE WHEN p.long THEN NULL ELSE t.text END,
                      CASE WHEN p.long THEN t.text END, p.attribute, ci.last_version_id
               FROM cmdb_configitem ci
               JOIN unnest(%s::bigint[], %s::bigint[], %s::int[], %s::bool[], %s::bool[],
                           %s::text[]) AS p(ci_class, attribute, position, long, vendor, prefix)
                 ON p.ci_class = ci.ci_class_id
               CROSS JOIN LATERAL (SELECT CASE WHEN p.vendor
                   THEN 'Vendor ' || floor(random() * 100)::int
                   ELSE p.prefix || ' ' || floor(random() * 1000)::int END || '' AS text
                   WHERE ci.id > 0) AS t
               WHERE ci.id > %s ORDER BY ci.id""",
            [*[list(c) for c in columns], before],
        )
        cursor.execute(
            "SELECT array_agg(id ORDER BY id) FROM cmdb_configitem WHERE name LIKE %s",
            [PREFIX + "%"],
        )
        ids = cursor.fetchone()[0]
        hub = ids[0]
        cursor.execute(
            """INSERT INTO cmdb_link (link_type, created_at, source_id, target_id)
               SELECT %s, now(), d, %s FROM unnest(%s::bigint[]) AS d
               ON CONFLICT DO NOTHING""",
            [LinkType.DEPENDS_ON.value, hub, ids[1:1001]],
        )
        pool = ids[1001:]
        cursor.execute("SELECT count(*) FROM cmdb_link")
        missing = links - cursor.fetchone()[0]
        while missing > 0:
            cursor.execute(
                """INSERT INTO cmdb_link (link_type, created_at, source_id, target_id)
                   SELECT %s, now(), s, t FROM (
                       SELECT (%s::bigint[])[1 + floor(random() * %s)::int] AS s,
                              (%s::bigint[])[1 + floor(random() * %s)::int] AS t
                       FROM generate_series(1, %s)) AS pairs
                   WHERE s <> t ON CONFLICT DO NOTHING""",
                [LinkType.DEPENDS_ON.value, pool, len(pool), pool, len(pool), missing],
            )
            missing -= cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ConfigItem.objects.get(pk=hub)


def _measure(client: Client, url: str, runs: int, warmup: int) -> tuple[list[float], int, int]:
    times = []
    status = 0
    for run in range(warmup + runs):
        t0 = time.perf_counter()
        status = client.get(url).status_code
        if run >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return times, len(captured.captured_queries), status


def _agent() -> User:
    agent = User.objects.filter(username="cmdb-bench").first()
    if agent is None:
        agent = User.objects.create_user(username="cmdb-bench", kind=UserKind.AGENT)
    GroupGrant.objects.get_or_create(
        user=agent, group=Group.objects.get(name=DEFAULT_GROUP), key=PermissionKey.RW
    )
    return agent


def _machine() -> str:
    load = os.getloadavg()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor != "sqlite" else "SELECT 1")
        version = str(cursor.fetchone()[0]).split(" on ")[0]
    return (
        f"machine: {os.cpu_count()} cores, load {load[0]:.1f}; "
        f"database: {connection.vendor} ({version})"
    )


if __name__ == "__main__":
    main()
