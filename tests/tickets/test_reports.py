"""The reports under /agent/reports/ (issue 14 part 7) against a small hand-built data set:
three tickets in "Support" (targets: first response 60, solution 600 working minutes) on
Monday 2026-03-02 and one in "Sales", which the reporting agent may not see.

* T1 created 10:00, answered 10:30 (met) with 30 time units, closed 12:00 (met);
* T2 created 10:00, answered 12:00 (breached), open;
* T3 created 10:00, never answered: breached at 14:00, open;
* T4 in Sales, answered in time: never counted for the reporter.
"""

from __future__ import annotations

import csv
import datetime as dt
import email
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from otrs.accounts.models import Group
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tests.tickets import test_sla
from tests.tickets.test_sla import answer, at, targets
from tickets import actions, reports
from tickets.actions import reports as schedules
from tickets.choices import Channel, SenderType
from tickets.metrics import refresh_metrics
from tickets.models import ReportSchedule, Ticket

pytestmark = pytest.mark.django_db
clock = test_sla.clock  # the SLA tests' frozen clock
DAY = {"start": "2026-03-02", "end": "2026-03-02"}


@pytest.fixture
def world(support, clock):
    targets(support.queue, response=60, solution=600)
    sales = factories.queue("Sales", group_=factories.group("sales"))
    stats, _created = Group.objects.get_or_create(name="stats")
    reporter = support.rw
    factories.grant(reporter, stats, factories.RO)
    t1, t2, t3 = (factories.ticket(support.queue, title=f"T{n}") for n in (1, 2, 3))
    t4 = factories.ticket(sales, title="T4")
    clock.move_to(at(0.5))
    actions.add_article(
        t1,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.AGENT,
            body="On it.",
            is_visible_for_customer=True,
            time_units=Decimal(30),
        ),
        actor=reporter,
    )
    answer(t4, factories.system())
    clock.move_to(at(2))
    answer(t2, reporter)
    actions.set_state(t1, factories.state("closed successful"), actor=reporter)
    clock.move_to(at(4))  # Monday 14:00
    refresh_metrics(Ticket.objects.values_list("pk", flat=True))
    return type("World", (), {"reporter": reporter, "support": support, "tickets": (t1, t2, t3)})


def build(world, kind, **kwargs):
    filters = reports.Filters(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 2), **kwargs)
    return reports.build(world.reporter, kind, filters)


def test_compliance_counts_decided_targets_of_visible_tickets(world):
    report = build(world, reports.Kind.COMPLIANCE)
    assert [r["name"] for r in report.rows] == ["Support"]
    assert report.total == {
        "name": "Total",
        "tickets": 3,
        "met": 2,
        "breached": 2,
        "compliance": 50.0,
    }


def test_compliance_per_agent_and_team(world):
    by_team = build(world, reports.Kind.COMPLIANCE, dimension=reports.Dimension.TEAM)
    assert [(r["name"], r["compliance"]) for r in by_team.rows] == [("support", 50.0)]
    by_agent = build(world, reports.Kind.COMPLIANCE, dimension=reports.Dimension.AGENT)
    assert sum(r["tickets"] for r in by_agent.rows) == 3


def test_times_are_nearest_rank_percentiles_of_working_time(world):
    total = build(world, reports.Kind.TIMES).total
    assert total["response_p50"] == 1800 and total["response_p90"] == 7200
    assert total["solution_p50"] == total["solution_p90"] == 7200


def test_volume_backlog_reopens_and_time(world):
    volume = build(world, reports.Kind.VOLUME)
    assert volume.rows == [{"day": dt.date(2026, 3, 2), "created": 3, "closed": 1}]
    backlog = build(world, reports.Kind.BACKLOG).total
    assert backlog["tickets"] == 2 and backlog["age0"] == 2
    reopens = build(world, reports.Kind.REOPENS).total
    assert (reopens["closed"], reopens["reopened"], reopens["rate"]) == (1, 0, 0.0)
    time = build(world, reports.Kind.TIME, dimension=reports.Dimension.AGENT)
    assert [(r["name"], r["units"]) for r in time.rows] == [("rw_agent", Decimal(30))]


def test_a_reopen_counts_in_the_rate(world, clock):
    t1 = world.tickets[0]
    clock.move_to(at(5))
    actions.set_state(t1, factories.state("open"), actor=world.reporter)
    refresh_metrics([t1.pk])
    reopens = build(world, reports.Kind.REOPENS).total
    assert (reopens["closed"], reopens["reopened"], reopens["rate"]) == (1, 1, 100.0)


def test_the_page_shows_chart_and_table_and_exports_csv(client, world):
    client.force_login(world.reporter)
    url = reverse("agent:report", args=["compliance"])
    html = client.get(url, DAY).content.decode()
    assert '<svg class="chart chart-bars"' in html and "50.0 %" in html
    assert 'data-nav="reports"' in html
    response = client.get(url, {**DAY, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Queue" and rows[1] == ["Support", "3", "2", "2", "50.0"]
    assert rows[-1] == ["Total", "3", "2", "2", "50.0"]
    times = client.get(reverse("agent:report", args=["times"]), {**DAY, "format": "csv"})
    assert "30.0" in times.content.decode()  # the median first response: 30 working minutes
    for kind in reports.Kind.values:
        assert client.get(reverse("agent:report", args=[kind]), DAY).status_code == 200
    assert client.get(reverse("agent:reports")).status_code == 200


def test_bad_filters_are_named_on_the_form(client, world):
    client.force_login(world.reporter)
    url = reverse("agent:report", args=["volume"])
    response = client.get(url, {"start": "2026-03-05", "end": "2026-03-01", "dimension": "queue"})
    assert response.status_code == 400
    assert "The end of the period lies before its start." in response.content.decode()
    response = client.get(url, {"start": "yesterday", "end": "2026-03-01", "dimension": "x"})
    assert response.status_code == 400
    response = client.get(url, {**DAY, "dimension": "queue", "queue": "999999"})
    assert response.status_code == 400


def test_agents_without_the_reports_group_get_404_and_no_menu_entry(client, world):
    client.force_login(world.support.ro)
    assert client.get(reverse("agent:reports")).status_code == 404
    assert client.get(reverse("agent:report", args=["compliance"])).status_code == 404
    assert 'data-nav="reports"' not in client.get(reverse("agent:queues")).content.decode()
    client.force_login(world.reporter)
    assert client.get(reverse("agent:report", args=["nonsense"])).status_code == 404


def test_customers_never_reach_the_reports(client, world):
    client.force_login(factories.customer("cust"))
    response = client.get(reverse("agent:reports"))
    assert response.status_code in (403, 404)
    assert b"Support" not in response.content


# --- scheduled reports ---------------------------------------------------------------------


def test_schedule_times_and_periods():
    monday_noon = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert schedules.next_run("daily", monday_noon) == dt.datetime(2026, 3, 3, 6, tzinfo=dt.UTC)
    assert schedules.next_run("weekly", monday_noon) == dt.datetime(2026, 3, 9, 6, tzinfo=dt.UTC)
    assert schedules.next_run("monthly", monday_noon) == dt.datetime(2026, 4, 1, 6, tzinfo=dt.UTC)
    run = dt.datetime(2026, 3, 1, 6, tzinfo=dt.UTC)
    assert schedules.period("daily", run) == (dt.date(2026, 2, 28), dt.date(2026, 2, 28))
    assert schedules.period("weekly", run) == (dt.date(2026, 2, 22), dt.date(2026, 2, 28))
    assert schedules.period("monthly", run) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_a_scheduled_report_is_mailed_once_per_run_as_csv(client, world, clock, settings):
    settings.TIME_ZONE = "UTC"
    # The project's own mail backend (pytest-django swaps in locmem): the persistent queue.
    settings.EMAIL_BACKEND = "otrs.mail.backend.QueueBackend"
    stats = Group.objects.get(name="stats")
    manager = factories.agent("manager")
    factories.grant(manager, stats, factories.RW)
    factories.grant(manager, world.support.group, factories.RO)
    world.reporter.email = "reporter@example.com"
    world.reporter.save()
    bystander = factories.agent("bystander")  # may not read reports: never a recipient
    bystander.email = "bystander@example.com"
    bystander.save()
    client.force_login(manager)
    url = reverse("agent:report_schedule", args=["compliance"])
    refused = client.post(url, {"name": "Daily", "frequency": "daily", "dimension": "queue",
                                "recipients": [bystander.pk]})  # fmt: skip
    assert refused.status_code == 400 and not ReportSchedule.objects.exists()
    wanted = {"name": "Daily SLA", "frequency": "daily", "dimension": "queue"}
    response = client.post(url, {**wanted, "recipients": [world.reporter.pk]})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.next_run_at == dt.datetime(2026, 3, 3, 6, tzinfo=dt.UTC)
    assert "Daily SLA" in client.get(reverse("agent:reports")).content.decode()
    clock.move_to(dt.datetime(2026, 3, 3, 6, 5, tzinfo=dt.UTC))
    assert schedules.send_due_reports() == [(schedule.pk, "reporter@example.com")]
    assert schedules.send_due_reports() == []  # claimed: the next run is a day later
    mail = OutboundMessage.objects.get(kind=OutboundKind.SYSTEM)
    assert mail.recipients == ["reporter@example.com"]
    parsed = email.message_from_bytes(bytes(mail.raw))
    (attachment,) = [p for p in parsed.walk() if p.get_filename()]
    assert attachment.get_filename() == "compliance-2026-03-02-2026-03-02.csv"
    rows = list(csv.reader(io.StringIO(attachment.get_payload(decode=True).decode())))
    assert rows[-1] == ["Total", "3", "2", "2", "50.0"]  # the reporter's own view of Monday
    client.force_login(manager)  # a day later: the session may have ended
    client.post(reverse("agent:report_unschedule", args=[schedule.pk]))
    assert not ReportSchedule.objects.exists()


def test_only_report_managers_may_schedule(client, world):
    client.force_login(world.reporter)  # ro on stats: reads, does not schedule
    url = reverse("agent:report_schedule", args=["compliance"])
    assert client.post(url, {"name": "x"}).status_code == 404
    page = client.get(reverse("agent:report", args=["compliance"]), DAY).content.decode()
    assert "on a schedule" not in page
