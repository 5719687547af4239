"""The condition language on tickets means the same both ways: for every attribute and
operator, the tickets the compiled filter selects are exactly those for which the Python
evaluation of each ticket holds (on one data set with every kind of value, empty ones too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otrs.conditions import matches, to_q
from otrs.conditions import text as condition_text
from tests import factories
from tests.fields.helpers import define
from tickets import actions
from tickets.automation.attributes import ticket_facts, ticket_schema
from tickets.choices import LockState
from tickets.models import SLA, Priority, Queue, Service, Ticket, TicketType

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_set(support):
    """24 tickets in two queues, every state kind, several owners, customers, titles, ages,
    pending and escalation times, and custom fields of five types (some left empty)."""
    define("Severity", "dropdown", options=["low", "high"])
    define("Labels", "multiselect", options=["red", "green", "blue"])
    define("Budget", "integer")
    define("Contract", "text")
    define("Deadline", "datetime")
    raw = Queue.objects.get(name="Raw")
    factories.grant(support.rw, raw.group, factories.RW)
    service = Service.objects.create(name="Email")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(service)
    incident = TicketType.objects.create(name="Incident")
    now = timezone.now()
    states = ["new", "open", "pending reminder", "closed successful", "pending auto close+"]
    titles = ["Printer on fire", "printer jam", "VPN down", "Invoice question", "", "vpn slow"]
    customers = ["alice@example.com", "", "Bob@Example.com", "carol@example.com"]
    for i in range(24):
        state = factories.state(states[i % len(states)])
        pending = now + timedelta(hours=i - 12) if "pending" in state.name else None
        ticket = factories.ticket(
            support.queue if i % 3 else raw,
            title=titles[i % len(titles)] or "x",
            state=state,
            pending_until=pending,
            priority=Priority.objects.get(level=1 + i % 5),
            owner=support.rw if i % 4 == 0 else None,
            responsible=support.rw if i % 5 == 0 else None,
            lock=LockState.LOCK if i % 4 == 0 else LockState.UNLOCK,
            customer_user=customers[i % len(customers)],
            customer_id="ACME" if i % 2 else "",
            created_at=now - timedelta(hours=5 * i),
            ticket_type=incident if i % 6 == 0 else None,
            service=service if i % 7 == 0 else None,
            sla=sla if i % 7 == 0 else None,
        )
        values = {}
        if i % 3 != 2:
            values["Severity"] = ["low", "high"][i % 2]
        if i % 4 != 3:
            values["Labels"] = [["red"], ["green", "blue"], ["red", "blue"]][i % 3]
        if i % 5 != 4:
            values["Budget"] = i * 10
        if i % 2:
            values["Contract"] = ["C-1", "c-2", "Gold C-3"][i % 3]
        if i % 3:
            values["Deadline"] = now + timedelta(days=i - 10)
        actions.set_field_values(ticket, values, actor=factories.system())
        # Escalation destinations as the escalation index would keep them: due, past, none.
        escalation = [None, now + timedelta(hours=2), now - timedelta(hours=1)][i % 3]
        Ticket.objects.filter(pk=ticket.pk).update(
            escalation_at=escalation,
            escalation_response_at=escalation if i % 2 else None,
            escalation_solution_at=now - timedelta(minutes=i) if i % 4 == 1 else None,
        )
        if i % 6 == 1:
            # An old change time for the relative-time tests.
            Ticket.objects.filter(pk=ticket.pk).update(changed_at=now - timedelta(days=40))
    return now


CONDITIONS = [
    "number contains 00002",
    "title = printer on fire",
    "title contains PRINTER",
    "title in vpn down, VPN SLOW",
    "customer_user is empty",
    "customer_user = bob@example.com",
    "customer_user contains example",
    "customer_id is not empty",
    "queue = Raw",
    "queue in Raw, Misc",
    "not queue = Raw",
    "state = open",
    "state in new, open",
    "state_type = pending reminder",
    "state_type in pending reminder, pending auto",
    "not state_type = closed",
    "priority in 4 high, 5 very high",
    "type = Incident",
    "service = Email",
    "service is empty",
    "not service = Email",
    "sla is not empty",
    "lock = lock",
    "not lock = lock",
    "owner = rw_agent",
    "responsible = rw_agent",
    "created older than 40 hours",
    "created newer than 1 days",
    "changed older than 30 days",
    "pending_until older than 1 hours",
    "pending_until newer than 2 hours",
    "pending_until is empty",
    "not pending_until older than 1 hours",
    "escalation = escalated",
    "escalation = running",
    "escalation = none",
    "escalation_response in running, escalated",
    "escalation_solution = escalated",
    "field:Severity = high",
    "field:Severity is empty",
    "not field:Severity = high",
    "field:Labels = Blue",
    "field:Labels in Red, Green",
    "field:Labels is not empty",
    "field:Budget between 50 and 150",
    "field:Budget >= 100",
    "not field:Budget <= 100",
    "field:Budget in 10, 20, 30",
    "field:Contract = c-1",
    "field:Contract contains C-",
    "field:Contract is empty",
    "field:Deadline older than 2 days",
    "field:Deadline newer than 3 days",
    "not field:Deadline older than 2 days",
]


def test_the_filter_and_the_evaluation_select_the_same_tickets(data_set):
    # One data set for all conditions (building it takes seconds); each mismatch is listed.
    now = data_set
    schema = ticket_schema()
    tickets = list(Ticket.objects.select_related("state"))
    facts = {t.pk: ticket_facts(t, now) for t in tickets}
    wrong = []
    for written in CONDITIONS:
        tree = condition_text.parse(written, schema)
        query = Ticket.objects.filter(to_q(tree, schema, now))
        selected = set(query.values_list("pk", flat=True))
        evaluated = {pk for pk, found in facts.items() if matches(tree, schema, found, now)}
        if selected != evaluated:
            wrong.append((written, sorted(selected), sorted(evaluated)))
        # A test proves something only if it divides the data set: some tickets, not all.
        elif not 0 < len(selected) < len(tickets):
            wrong.append((written, "selects none or all", len(selected)))
    assert wrong == []


def test_combined_conditions_agree_too(data_set):
    now = data_set
    schema = ticket_schema()
    tree = {
        "any": [
            condition_text.parse("queue = Raw\nfield:Severity = low", schema),
            {"not": condition_text.parse("title contains printer", schema)},
        ]
    }
    selected = set(Ticket.objects.filter(to_q(tree, schema, now)).values_list("pk", flat=True))
    evaluated = {
        t.pk for t in Ticket.objects.all() if matches(tree, schema, ticket_facts(t, now), now)
    }
    assert selected == evaluated
    assert 0 < len(selected) < Ticket.objects.count()
