"""Benchmark: what ACLs add to opening a ticket screen (issue 15), with 0 and with N active
rules (default 200).

    export DATABASE_URL=sqlite:////tmp/acl_bench.sqlite3     # or PostgreSQL / MariaDB
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_acl.py [--rules 200] [--repeat 50]

It makes a queue, an agent with rw on it and a ticket, then GETs the close, move and owner
screens and the zoom through Django's test client (the whole request: session, access, form, ACLs,
template) ``--repeat`` times each, first without rules, then with ``--rules`` active rules
(each tests the queue, the agent or the screen; half of them match; they restrict states,
priorities, queues, owners and, one in five, actions: the zoom's menu and each screen's
own check), and prints the median time per screen and the difference. Also the time of
:func:`tickets.automation.acl.restrict_form` and :func:`~tickets.automation.acl.allowed_actions`
alone. The rules come from
the cache after the first request, as in production. Everything runs in one transaction
that is rolled back at the end. Not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from tests import factories  # noqa: E402
from tickets.automation import acl  # noqa: E402
from tickets.forms.changes import CloseForm  # noqa: E402
from tickets.models import AclRule, Priority, Queue, State  # noqa: E402

SCREENS = ("close", "move", "owner", "zoom")


def _rules(count: int, queue: Queue, agent, other_queue: Queue) -> None:
    states = list(State.objects.values_list("pk", flat=True))
    priorities = list(Priority.objects.values_list("pk", flat=True))
    for n in range(count):
        kind = n % 5
        matching = n % 2 == 0
        if kind == 4:
            screens = ["zoom", "close"] if matching else ["x"]
            test = {"attr": "screen", "op": "in", "value": screens}
            change = {"action": {"possible_not": ["merge"]}}
        elif kind == 0:
            test = {
                "attr": "queue",
                "op": "equals",
                "value": (queue if matching else other_queue).pk,
            }
            change = {"state": {"possible_not": [states[n % len(states)]]}}
        elif kind == 1:
            test = {"attr": "agent", "op": "equals", "value": agent.pk if matching else 10**9}
            change = {"priority": {"possible_not": [priorities[n % len(priorities)]]}}
        elif kind == 2:
            test = {"attr": "screen", "op": "in", "value": ["close", "move"] if matching else ["x"]}
            change = {"queue": {"possible_not": [other_queue.pk]}}
        else:
            test = {"attr": "title", "op": "contains", "value": "bench" if matching else "nope"}
            change = {"owner": {"possible_add": [agent.pk]}}
        AclRule.objects.create(
            name=f"bench acl {n:04d}", properties={"all": [test]}, changes=change
        )


def _median_ms(client: Client, url: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    setup_test_environment()
    with transaction.atomic():
        group = factories.group("bench acl")
        queue = factories.queue("Bench ACL", group_=group)
        other = factories.queue("Bench ACL other", group_=group)
        agent = factories.agent("bench_acl_agent")
        factories.grant(agent, group, factories.RW, "move_into", "owner")
        ticket = factories.ticket(queue, title="bench ticket")
        client = Client()
        client.force_login(agent)
        urls = {name: reverse(f"agent:{name}", args=[ticket.pk]) for name in SCREENS}

        def measure() -> dict[str, float]:
            for url in urls.values():
                client.get(url)  # warm: caches, templates
            found = {name: _median_ms(client, url, args.repeat) for name, url in urls.items()}
            form = CloseForm(ticket=ticket, user=agent)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                acl.restrict_form(form, user=agent, screen="close", tickets=[ticket])
                times.append(time.perf_counter() - start)
            found["restrict_form (close)"] = statistics.median(times) * 1000
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                acl.allowed_actions(user=agent, screen="zoom", tickets=[ticket])
                times.append(time.perf_counter() - start)
            found["allowed_actions (zoom)"] = statistics.median(times) * 1000
            return found

        without = measure()
        _rules(args.rules, queue, agent, other)
        with_rules = measure()
        print(f"{'screen':<24}{'0 rules ms':>12}{f'{args.rules} rules ms':>16}{'added ms':>12}")
        for name, base in without.items():
            print(
                f"{name:<24}{base:>12.1f}{with_rules[name]:>16.1f}{with_rules[name] - base:>12.1f}"
            )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
