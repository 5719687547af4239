"""The customer portal's pages for a customer of a big company (not a test).

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench
    .venv/bin/python bench/bench_portal.py [--login customer1] [--runs 7]

Needs a filled database (see bench/README.md: ``loaddemo --force`` then ``filldb``, which
gives the demo companies a tenth of all tickets each). Each page is requested through
Django's test client, signed in as the customer: middleware, the customer access rule,
queries and templates, no network. Reports median, min and max of ``--runs`` requests after
two warm-ups, and the query count.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench_tickets import _machine  # also sets Django up
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from otrs.accounts.models import User
from tickets import access


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--login", default="customer1")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    user = User.objects.get(username=args.login)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    visible = access.visible_to(user)
    newest = visible.order_by("-changed_at").first()
    pages = [
        ("my tickets (open)", "/customer/tickets/"),
        ("company tickets, all states", "/customer/tickets/?scope=company&state=all"),
        ("company tickets, all, page 50", "/customer/tickets/?scope=company&state=all&page=50"),
        (
            "search 'printer', company tickets",
            "/customer/tickets/?scope=company&state=all&q=printer",
        ),
        ("ticket page", f"/customer/tickets/{newest.pk}/"),
    ]
    print(_machine())
    print(f"{args.login} may see {visible.count():,} tickets; median of {args.runs} requests")
    for label, url in pages:
        for _warmup in range(2):
            assert client.get(url).status_code == 200, url
        times = []
        for _run in range(args.runs):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        print(
            f"{label:<40} {statistics.median(times):7.1f} ms  (min {min(times):6.1f}, "
            f"max {max(times):6.1f})  {len(queries)} queries"
        )


if __name__ == "__main__":
    main()
