"""``loaddemo`` sets calendars, SLAs with targets and tickets that are escalated, about to
escalate and met."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from otrs.calendars.lookup import load_schedule
from tickets.escalation import Kind, Status, compute
from tickets.management.commands._sla_demo import TITLE
from tickets.models import SLA, Queue, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_calendars_slas_and_tickets_in_each_sla_case():
    out = StringIO()
    call_command("loaddemo", force=True, stdout=out)
    assert load_schedule("Berlin office").zone.key == "Europe/Berlin"
    assert load_schedule("Berlin office").once  # the public holidays of Berlin
    gold = SLA.objects.get(name="Gold")
    assert (gold.first_response_time, gold.calendar.name) == (60, "Around the clock")
    assert Queue.objects.get(full_name="Support").first_response_time == 120

    demo = Ticket.objects.filter(title__startswith=TITLE).select_related("queue", "sla", "state")
    by_title = {t.title.removeprefix(TITLE): t for t in demo}
    statuses = {
        title: compute(ticket).clock(Kind.RESPONSE).status for title, ticket in by_title.items()
    }
    assert statuses == {
        "Mail server rejects our newsletter": Status.BREACHED,
        "VPN drops every ten minutes": Status.WARNING,
        "New mailbox for the trainee": Status.MET,
    }
    # The columns are stored, so the dashboard and the escalation sort see them.
    assert by_title["Mail server rejects our newsletter"].escalation_response_at is not None
    assert by_title["New mailbox for the trainee"].escalation_response_at is None
    assert Ticket.objects.filter(escalation_at__isnull=False).count() > 3

    # Again: nothing new.
    count = Ticket.objects.count()
    call_command("loaddemo", force=True, stdout=StringIO())
    assert Ticket.objects.count() == count
    assert SLA.objects.filter(name__in=["Gold", "Silver"]).count() == 2
