"""The per-ticket metrics row (issue 14 part 6) and time accounting (part 9), checked against
tickets computed by hand. The default calendar (Mon-Fri 08:00-21:00 UTC) counts; every test
starts on Monday 2026-03-02 10:00 UTC."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from otrs.errors import DomainError
from tests import factories
from tests.tickets import test_sla
from tests.tickets.test_sla import answer, at, targets
from tickets import actions
from tickets.choices import Channel, HistoryType, SenderType
from tickets.metrics import refresh_metrics
from tickets.models import Ticket, TicketHistory, TicketMetrics, TimeAccounting

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# The SLA tests' fixtures: a frozen clock, and a block whose events are delivered.
clock = test_sla.clock
committed = test_sla.committed


def metrics(ticket) -> TicketMetrics:
    return TicketMetrics.objects.get(ticket_id=ticket.pk)


def test_it_keeps_response_solution_reopens_and_time_in_states(support, clock, committed):
    targets(support.queue, response=60, solution=600)
    with committed:
        ticket = factories.ticket(support.queue)  # Monday 10:00, state "new"
    clock.move_to(at(2))  # 12:00: an hour late
    with committed:
        answer(ticket, support.rw)
    clock.move_to(at(10))  # 20:00: the solution target (10:00 + 600 working minutes)
    with committed:
        actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    clock.move_to(at(23))  # Tuesday 09:00: the customer writes again
    with committed:
        actions.set_state(ticket, factories.state("open"), actor=support.rw)
    clock.move_to(at(24))  # Tuesday 10:00
    with committed:
        actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    row = metrics(ticket)
    assert row.first_response_at == at(2)
    assert row.first_response_seconds == row.first_response_business_seconds == 7200
    assert row.response_result == "breached"
    assert row.first_closed_at == at(10)
    assert row.solution_seconds == row.solution_business_seconds == 36000
    assert row.solution_result == "met"
    assert row.closed_at == at(24)
    assert row.reopen_count == 1
    new, open_, closed = (factories.state(n).pk for n in ("new", "open", "closed successful"))
    # new 10-20 (answering does not change the state), closed 20-09, open 09-10, closed since.
    assert row.state_seconds == {str(new): 36000, str(closed): 46800, str(open_): 3600}
    assert row.queue_id == support.queue.pk and row.state_type == "closed"


def test_business_time_skips_the_night_and_the_weekend(support, clock, committed):
    targets(support.queue, response=60)
    clock.move_to(dt.datetime(2026, 3, 6, 20, 0, tzinfo=UTC))  # Friday 20:00
    with committed:
        ticket = factories.ticket(support.queue)
    clock.move_to(dt.datetime(2026, 3, 9, 8, 30, tzinfo=UTC))  # Monday 08:30
    with committed:
        answer(ticket, support.rw)
    row = metrics(ticket)
    assert row.first_response_seconds == (60 * 60 + 30) * 60  # 60.5 hours on the wall
    assert row.first_response_business_seconds == 90 * 60  # Friday 20-21, Monday 08-08:30
    assert row.response_result == "breached"  # due Monday 08:00


def test_time_in_a_pending_state_is_no_business_time(support, clock, committed):
    with committed:
        ticket = factories.ticket(support.queue)
    clock.move_to(at(0.5))
    with committed:
        actions.set_pending(ticket, factories.state("pending reminder"), at(48), actor=support.rw)
    clock.move_to(at(1.5))
    with committed:
        actions.set_state(ticket, factories.state("open"), actor=support.rw)
    clock.move_to(at(2))
    with committed:
        answer(ticket, support.rw)
    row = metrics(ticket)
    assert row.first_response_seconds == 7200
    assert row.first_response_business_seconds == 3600
    assert row.response_result == ""  # no targets: nothing met or breached


def test_an_answer_in_time_is_met_and_an_open_ticket_is_not_decided(support, clock, committed):
    targets(support.queue, response=60, solution=600)
    with committed:
        ticket = factories.ticket(support.queue)
    clock.move_to(at(0.5))
    with committed:
        answer(ticket, support.rw)
    row = metrics(ticket)
    assert row.response_result == "met"
    assert row.solution_result == "" and row.first_closed_at is None and row.closed_at is None


def test_time_units_are_stored_per_article_with_history_and_summed(support, clock, committed):
    with committed:
        ticket = factories.ticket(support.queue)
        note = actions.add_article(
            ticket,
            actions.ArticleInput(body="Looked at it.", time_units=Decimal("15")),
            actor=support.rw,
        )
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.PHONE,
                sender_type=SenderType.AGENT,
                body="Called.",
                is_visible_for_customer=True,
                time_units=Decimal("7.5"),
            ),
            actor=support.rw,
        )
    assert TimeAccounting.objects.get(article=note).time_units == Decimal("15")
    rows = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.TIME_ACCOUNTING)
    assert sorted(rows.values_list("new_value", flat=True)) == ["15", "7.5"]
    assert metrics(ticket).time_units == Decimal("22.5")


def test_negative_time_units_are_refused_and_nothing_is_written(support):
    ticket = factories.ticket(support.queue)
    with pytest.raises(DomainError) as refused:
        actions.add_article(
            ticket, actions.ArticleInput(body="x", time_units=Decimal("-1")), actor=support.rw
        )
    assert refused.value.field == "time_units"
    assert ticket.articles.count() == 1 and not TimeAccounting.objects.exists()


def _note_form(client, ticket, **extra):
    data = {"subject": "Note", "body": "Worked on it.", "seen": actions.ticket_version(ticket)}
    data.update(extra)
    return client.post(reverse("agent:note", args=[ticket.pk]), data)


def test_the_note_screen_takes_time_units_and_the_zoom_shows_them(client, support, settings):
    settings.TICKET_TIME_UNITS = "optional"
    ticket = factories.ticket(support.queue)
    client.force_login(support.rw)
    assert _note_form(client, ticket, time_units="12.5").status_code == 302
    assert _note_form(client, ticket).status_code == 302
    assert TimeAccounting.objects.get().time_units == Decimal("12.5")
    html = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Time units: 12.50" in html
    assert "12.50 time units in total" in html


def test_required_time_units_need_a_value_and_off_hides_the_field(client, support, settings):
    ticket = factories.ticket(support.queue)
    client.force_login(support.rw)
    settings.TICKET_TIME_UNITS = "required"
    response = _note_form(client, ticket)
    # The form again with its message (the screens answer a refused form with 400).
    assert response.status_code == 400 and b'name="time_units"' in response.content
    assert b"This field is required." in response.content
    assert Ticket.objects.get(pk=ticket.pk).articles.count() == 1
    response = _note_form(client, ticket, time_units="-3")
    assert response.status_code == 400 and not TimeAccounting.objects.exists()
    settings.TICKET_TIME_UNITS = "off"
    page = client.get(reverse("agent:note", args=[ticket.pk]))
    assert b'name="time_units"' not in page.content
    assert _note_form(client, ticket, time_units="5").status_code == 302
    assert not TimeAccounting.objects.exists()


def test_the_backfill_writes_missing_rows_resumably_with_a_progress_bar(support, clock):
    tickets = [factories.ticket(support.queue) for _ in range(5)]
    assert not TicketMetrics.objects.exists()  # no handler ran: events were not delivered
    refresh_metrics([tickets[0].pk])  # as if a first run had stopped after one ticket
    out = StringIO()
    call_command("ticket_metrics", "--backfill", "--batch-size", "2", stdout=out)
    assert TicketMetrics.objects.count() == 5
    assert "[" in out.getvalue() and "4/4" in out.getvalue()
    out = StringIO()
    call_command("ticket_metrics", "--backfill", stdout=out)
    assert "0 ticket(s) written" in out.getvalue()


def test_the_command_refuses_unclear_arguments():
    with pytest.raises(CommandError, match="one of them"):
        call_command("ticket_metrics")
    with pytest.raises(CommandError, match="batch-size"):
        call_command("ticket_metrics", "--backfill", "--batch-size", "0")
