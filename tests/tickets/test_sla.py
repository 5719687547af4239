"""SLA clocks (spec section 6): targets from the SLA or the queue, the first response, the
update anchor walk, ever-closed, pausing in pending states, the stored escalation columns
kept by the event handler, stop events and a broken calendar.

The default calendar (Mon-Fri 08:00-21:00 UTC) counts unless a test says otherwise; every
test starts on Monday 2026-03-02.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from otrs.calendars.models import Calendar, WorkingSlot
from tests import factories
from tickets import actions
from tickets.actions.escalation import recompute_escalations
from tickets.choices import Channel, HistoryType, SenderType
from tickets.escalation import Kind, Status, _Facts, _facts, compute, load_facts, update_anchor
from tickets.models import SLA, Service, Ticket, TicketHistory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(hours: float = 0, *, days: int = 0) -> dt.datetime:
    return MONDAY + dt.timedelta(days=days, hours=hours)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block in a transaction and its after-commit work (events) at the end."""

    class Committed:
        def __enter__(self):
            self._capture = django_capture_on_commit_callbacks(execute=True)
            self._capture.__enter__()
            self._atomic = transaction.atomic()
            self._atomic.__enter__()

        def __exit__(self, *exc):
            self._atomic.__exit__(*exc)
            return self._capture.__exit__(*exc)

    return Committed()


def targets(obj, response=0, update=0, solution=0, notify=0, calendar=""):
    obj.first_response_time, obj.update_time, obj.solution_time = response, update, solution
    obj.first_response_notify = obj.update_notify = obj.solution_notify = notify
    # A calendar by name (a missing one is made invalid: what a queue may still point at).
    obj.calendar = (
        Calendar.objects.get_or_create(name=calendar, defaults={"is_valid": False})[0]
        if calendar
        else None
    )
    obj.save()
    return obj


def answer(ticket, actor, *, visible=True, channel=Channel.EMAIL):
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=channel,
            sender_type=SenderType.AGENT,
            body="Answer.",
            subject="Re",
            is_visible_for_customer=visible,
        ),
        actor=actor,
    )


def customer_says(ticket, actor):
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.PHONE,
            sender_type=SenderType.CUSTOMER,
            body="Hello?",
            subject="Call",
            is_visible_for_customer=True,
        ),
        actor=actor,
    )


def fresh(ticket) -> Ticket:
    return Ticket.objects.select_related("queue", "sla", "state").get(pk=ticket.pk)


def clocks(ticket, now=None):
    result = compute(fresh(ticket), now=now)
    return {c.kind: c for c in result.clocks}, result


# --- targets and the first response -----------------------------------------------------------


def test_the_queue_targets_give_due_times_in_working_time(support, clock):
    targets(support.queue, response=60, update=120, solution=600, notify=50)
    clock.move_to(at(0))  # Monday 10:00
    ticket = factories.ticket(support.queue)
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].due == at(1)
    assert by_kind[Kind.RESPONSE].notify_at == at(0.5)
    assert by_kind[Kind.UPDATE].due == at(2)  # anchor: the customer's phone call
    # 600 minutes: 11 h left on Monday (10-21) is more: 20:00 Monday.
    assert by_kind[Kind.SOLUTION].due == at(10)
    assert all(c.status == Status.RUNNING for c in by_kind.values())


def test_an_evening_ticket_is_due_the_next_working_morning(support, clock):
    targets(support.queue, response=60)
    clock.move_to(dt.datetime(2026, 3, 6, 20, 30, tzinfo=UTC))  # Friday 20:30
    ticket = factories.ticket(support.queue)
    by_kind, _result = clocks(ticket)
    # 30 minutes on Friday, then Monday 08:00 + 30.
    assert by_kind[Kind.RESPONSE].due == dt.datetime(2026, 3, 9, 8, 30, tzinfo=UTC)


def test_the_sla_replaces_the_queue_targets_wholesale(support, clock):
    targets(support.queue, response=60, update=120, solution=600)
    service = Service.objects.create(name="Mail")
    sla = targets(SLA.objects.create(name="Gold"), response=30)
    sla.services.add(service)
    ticket = factories.ticket(support.queue, service=service, sla=sla)
    by_kind, result = clocks(ticket)
    assert result.source == "sla" and result.source_name == "Gold"
    assert by_kind[Kind.RESPONSE].due == at(0.5)
    # The SLA's zero update and solution times mean none, although the queue has them.
    assert by_kind[Kind.UPDATE].status == by_kind[Kind.SOLUTION].status == Status.OFF
    assert result.stored()["escalation_at"] == at(0.5)


def test_a_visible_agent_article_meets_the_first_response_an_internal_note_does_not(support, clock):
    targets(support.queue, response=60)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(0.25))
    factories.note(ticket, actor=support.rw)
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].status == Status.RUNNING
    clock.move_to(at(0.5))
    answer(ticket, support.rw, channel=Channel.PHONE)
    by_kind, result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].status == Status.MET
    assert by_kind[Kind.RESPONSE].met_at == at(0.5)
    assert result.stored()["escalation_response_at"] is None


def test_a_late_first_response_is_breached(support, clock):
    targets(support.queue, response=60)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(2))
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].status == Status.BREACHED
    assert by_kind[Kind.RESPONSE].remaining_seconds == -3600
    answer(ticket, support.rw)
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].status == Status.BREACHED
    assert by_kind[Kind.RESPONSE].met_at == at(2)


# --- the update anchor ------------------------------------------------------------------------


def test_the_update_anchor_is_the_newest_agent_article(support, clock):
    targets(support.queue, update=60)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(1))
    article = answer(ticket, support.rw)
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.UPDATE].anchor == at(1)
    assert by_kind[Kind.UPDATE].anchor_article_id == article.pk
    assert by_kind[Kind.UPDATE].due == at(2)


def test_the_update_anchor_is_the_oldest_of_the_newest_customer_run(support, clock):
    targets(support.queue, update=60)
    ticket = factories.ticket(support.queue)  # customer at 10:00
    clock.move_to(at(1))
    answer(ticket, support.rw)  # agent at 11:00
    clock.move_to(at(2))
    first = customer_says(ticket, support.rw)  # customer at 12:00
    clock.move_to(at(3))
    factories.note(ticket, actor=support.rw)  # internal: not part of the walk
    clock.move_to(at(4))
    customer_says(ticket, support.rw)  # customer at 14:00
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.UPDATE].anchor == at(2)
    assert by_kind[Kind.UPDATE].anchor_article_id == first.pk
    assert by_kind[Kind.UPDATE].due == at(3)


def test_without_visible_articles_the_newest_article_is_the_anchor(support, clock):
    facts = _Facts(states=[], visible=[], newest_article=(at(5), 42))
    assert update_anchor(facts, at(0)) == (at(5), 42)
    empty = _Facts(states=[], visible=[], newest_article=None)
    assert update_anchor(empty, at(0)) == (at(0), None)


def test_the_update_time_is_off_while_pending(support, clock):
    targets(support.queue, update=60)
    # With pausing off, so that only the pending rule is at work.
    factories.state("pending reminder").__class__.objects.update(pauses_sla=False)
    ticket = factories.ticket(support.queue)
    actions.set_pending(ticket, factories.state("pending reminder"), at(48), actor=support.rw)
    by_kind, result = clocks(ticket)
    assert by_kind[Kind.UPDATE].status == Status.STOPPED
    assert result.stored()["escalation_update_at"] is None


# --- the solution time ------------------------------------------------------------------------


def test_the_solution_time_stops_for_good_once_closed(support, clock):
    targets(support.queue, solution=120)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(1))
    actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    clock.move_to(at(1.5))
    actions.set_state(ticket, factories.state("open"), actor=support.rw)
    clock.move_to(at(5))
    by_kind, result = clocks(ticket)
    assert by_kind[Kind.SOLUTION].status == Status.MET
    assert by_kind[Kind.SOLUTION].met_at == at(1)
    assert result.stored()["escalation_solution_at"] is None


def test_nothing_escalates_for_closed_tickets(support, clock):
    targets(support.queue, response=60, update=60, solution=60)
    ticket = factories.ticket(support.queue)
    actions.set_state(ticket, factories.state("closed unsuccessful"), actor=support.rw)
    _by_kind, result = clocks(ticket, now=at(5))
    assert set(result.stored().values()) == {None}


# --- pausing -----------------------------------------------------------------------------------


def test_pending_time_pauses_the_clocks_and_survives_an_sla_change(support, clock):
    targets(support.queue, response=120, solution=240)
    ticket = factories.ticket(support.queue)  # 10:00
    clock.move_to(at(0.5))
    actions.set_pending(ticket, factories.state("pending reminder"), at(24), actor=support.rw)
    clock.move_to(at(1))
    by_kind, result = clocks(ticket)
    assert result.paused_now
    assert by_kind[Kind.RESPONSE].status == Status.PAUSED
    assert by_kind[Kind.RESPONSE].remaining_seconds == 90 * 60
    assert result.stored()["escalation_at"] is None
    clock.move_to(at(1.5))
    actions.set_state(ticket, factories.state("open"), actor=support.rw)
    by_kind, result = clocks(ticket)
    # One hour paused (10:30-11:30): 12:00 becomes 13:00, 14:00 becomes 15:00.
    assert by_kind[Kind.RESPONSE].due == at(3)
    assert by_kind[Kind.SOLUTION].due == at(5)
    assert result.pauses == [(at(0.5), at(1.5))]
    # A new SLA counts from the same anchor with the same pause.
    service = Service.objects.create(name="Mail")
    sla = targets(SLA.objects.create(name="Silver"), response=180)
    sla.services.add(service)
    actions.set_service(ticket, service, sla, actor=factories.system())
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].due == at(4)


def test_a_pending_state_without_pausing_keeps_the_clocks_running(support, clock):
    targets(support.queue, response=120)
    factories.state("pending reminder").__class__.objects.update(pauses_sla=False)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(0.5))
    actions.set_pending(ticket, factories.state("pending reminder"), at(24), actor=support.rw)
    clock.move_to(at(1))
    by_kind, _result = clocks(ticket)
    assert by_kind[Kind.RESPONSE].status == Status.RUNNING
    assert by_kind[Kind.RESPONSE].due == at(2)


# --- the stored columns, kept by the event handler --------------------------------------------


def test_the_handler_stores_the_columns_after_each_change(support, clock, committed):
    targets(support.queue, response=60, solution=600)
    with committed:
        ticket = factories.ticket(support.queue)
    stored = fresh(ticket)
    assert stored.escalation_response_at == at(1)
    assert stored.escalation_solution_at == at(10)
    assert stored.escalation_at == at(1)
    clock.move_to(at(0.5))
    with committed:
        answer(ticket, support.rw)
    stored = fresh(ticket)
    assert stored.escalation_response_at is None
    assert stored.escalation_at == at(10)
    # A move to a queue without targets clears them.
    other = factories.queue("Other", group_=support.group)
    with committed:
        actions.move_ticket(ticket, other, actor=support.rw)
    assert fresh(ticket).escalation_at is None


def test_an_answer_after_the_due_time_writes_the_stop_event(support, clock, outbox):
    targets(support.queue, response=60)
    ticket = factories.ticket(support.queue)
    recompute_escalations([ticket.pk])
    clock.move_to(at(2))
    answer(ticket, support.rw)
    recompute_escalations([ticket.pk])
    stops = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.ESCALATION_RESPONSE_TIME_STOP
    )
    assert stops.count() == 1
    assert [name for name, _id, _p in outbox("EscalationResponseTimeStop")] == [
        "EscalationResponseTimeStop"
    ]
    # Again: nothing new.
    recompute_escalations([ticket.pk])
    assert stops.count() == 1


def test_an_answer_before_the_due_time_writes_no_stop_event(support, clock):
    targets(support.queue, response=60)
    ticket = factories.ticket(support.queue)
    recompute_escalations([ticket.pk])
    clock.move_to(at(0.5))
    answer(ticket, support.rw)
    recompute_escalations([ticket.pk])
    assert not TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.ESCALATION_RESPONSE_TIME_STOP
    ).exists()


# --- calendars ---------------------------------------------------------------------------------


def test_the_queue_calendar_counts(support, clock):
    berlin = Calendar.objects.create(name="Berlin", time_zone="Europe/Berlin")
    for day in range(5):
        WorkingSlot.objects.create(calendar=berlin, weekday=day, start=dt.time(9), end=dt.time(17))
    targets(support.queue, response=60, calendar="Berlin")
    clock.move_to(dt.datetime(2026, 3, 2, 15, 30, tzinfo=UTC))  # 16:30 in Berlin
    ticket = factories.ticket(support.queue)
    by_kind, result = clocks(ticket)
    assert result.calendar_name == "Berlin"
    # 30 minutes Monday until 17:00 Berlin, then Tuesday 09:00 + 30 = 08:30 UTC.
    assert by_kind[Kind.RESPONSE].due == dt.datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    # An hour later (Tuesday 09:00 UTC is 10:00 Berlin) 60 working minutes have passed.
    by_kind, _result = clocks(ticket, now=dt.datetime(2026, 3, 3, 9, tzinfo=UTC))
    assert by_kind[Kind.RESPONSE].counted_seconds == 3600
    assert by_kind[Kind.RESPONSE].periods == [
        (dt.datetime(2026, 3, 2, 15, 30, tzinfo=UTC), dt.datetime(2026, 3, 2, 16, tzinfo=UTC)),
        (dt.datetime(2026, 3, 3, 8, tzinfo=UTC), dt.datetime(2026, 3, 3, 8, 30, tzinfo=UTC)),
    ]


def test_a_broken_calendar_shows_an_error_not_a_time(support, clock):
    targets(support.queue, response=60, calendar="Nowhere")
    ticket = factories.ticket(support.queue)
    by_kind, result = clocks(ticket)
    assert "Nowhere" in result.calendar_error
    assert by_kind[Kind.RESPONSE].due is None
    assert result.stored()["escalation_at"] is None


# --- the zoom's SLA timeline -------------------------------------------------------------------


def test_the_zoom_shows_each_target_and_how_it_was_computed(client, support, clock):
    targets(support.queue, response=60, update=120, solution=600, notify=50)
    ticket = factories.ticket(support.queue)
    clock.move_to(at(0.25))
    article = answer(ticket, support.rw)
    clock.move_to(at(2.5))
    client.force_login(support.rw)
    for name in ("agent:zoom", "agent:print"):
        page = client.get(reverse(name, args=[ticket.pk])).content.decode()
        assert "SLA timeline" in page
        assert "Targets of queue Support" in page
        assert "calendar Default (UTC)" in page
        # First response met at 10:15, update breached (due 12:15), solution running.
        assert page.count('class="badge sla-met"') == 1
        assert page.count('class="badge sla-breached"') == 1
        assert page.count('class="badge sla-running"') == 1
        assert f'href="#article-{article.pk}"' in page
        assert "Overdue by" in page and "15m" in page
        assert "How this was computed" in page


def test_the_zoom_says_when_the_calendar_is_broken(client, support, clock):
    targets(support.queue, response=60, calendar="Gone")
    ticket = factories.ticket(support.queue)
    client.force_login(support.rw)
    page = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "No due times can be computed" in page
    assert "The calendar “Gone” does not exist or is invalid." in page
    assert "Due</dt>" not in page


def test_the_zoom_shows_no_timeline_without_targets(client, support):
    ticket = factories.ticket(support.queue)
    client.force_login(support.rw)
    page = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "SLA timeline" not in page


# --- bad settings ------------------------------------------------------------------------------


def test_a_queue_or_sla_refuses_an_unknown_calendar_and_a_share_over_100(support):
    for obj in (support.queue, SLA(name="Bronze")):
        obj.calendar = Calendar.objects.create(name=f"Nowhere {obj.name}", is_valid=False)
        obj.update_notify = 120
        with pytest.raises(ValidationError) as caught:
            obj.full_clean()
        assert set(caught.value.message_dict) >= {"calendar", "update_notify"}
        assert f"There is no valid calendar “Nowhere {obj.name}”." in str(caught.value)
        obj.calendar, obj.update_notify = Calendar.objects.get(name="Default"), 80
        obj.full_clean()


def test_a_negative_target_is_refused_naming_the_field(support):
    support.queue.first_response_time = -5
    with pytest.raises(ValidationError) as caught:
        support.queue.full_clean()
    assert "first_response_time" in caught.value.message_dict


def test_the_rebuild_command_fills_the_columns_of_open_tickets(support, clock):
    ticket = factories.ticket(support.queue)
    targets(support.queue, response=60)
    assert fresh(ticket).escalation_at is None
    out = StringIO()
    call_command("escalation_rebuild", stdout=out)
    assert fresh(ticket).escalation_at == at(1)
    assert "1 of 1 tickets had new escalation times." in out.getvalue()


def test_the_batch_reads_the_same_facts_as_one_ticket_alone(support, clock):
    targets(support.queue, update=60)
    first = factories.ticket(support.queue)
    clock.move_to(at(1))
    answer(first, support.rw)
    factories.note(first, actor=support.rw)
    actions.set_pending(first, factories.state("pending reminder"), at(24), actor=support.rw)
    second = factories.ticket(support.queue)
    batch = load_facts([fresh(first), fresh(second)])
    assert batch[first.pk] == _facts(fresh(first))
    assert batch[second.pk] == _facts(fresh(second))
