"""GenericAgent jobs: every change through the actions, the dry run equal to the real run,
truthful counts, skips and failures with reasons, event jobs once per event (redelivery
too), the loop limit, refused input named by part, the command and the schedule."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from otrs.accounts.models import UserKind
from otrs.events import delivery
from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.fields.selectors import definitions, values_for
from otrs.mail.models import OutboundKind, OutboundMessage
from tests import factories
from tests.fields.helpers import define
from tickets import actions
from tickets.automation import engine, receivers
from tickets.automation.actions import job_errors, save_job, set_job_active
from tickets.automation.engine import run_job
from tickets.automation.schedule import cron_errors
from tickets.choices import HistoryType, LockState
from tickets.fields import TICKET
from tickets.management.commands import _genericagent_demo
from tickets.models import (
    SLA,
    Article,
    GenericAgentJob,
    GenericAgentRun,
    ItemOutcome,
    Priority,
    Queue,
    RunStatus,
    RunTrigger,
    Service,
    State,
    Ticket,
    TicketHistory,
    TicketType,
)
from tickets.tasks import run_generic_agent_job

pytestmark = pytest.mark.django_db


def job(name="Job", *, selection=None, changes=None, **fields) -> GenericAgentJob:
    return save_job(
        GenericAgentJob(
            name=name,
            selection=selection if selection is not None else {},
            changes=changes or {},
            **fields,
        )
    )


def in_queue(queue: Queue) -> dict:
    return {"all": [{"attr": "queue", "op": "equals", "value": queue.pk}]}


@pytest.fixture
def misc(support):
    """A second queue the rw agent works in."""
    queue = Queue.objects.get(name="Misc")
    factories.grant(support.rw, queue.group, factories.RW)
    return queue


# --- changes ------------------------------------------------------------------------------------


def test_it_applies_every_change_through_the_actions_as_the_system_user(support, misc):
    define("Severity", "dropdown", options=["low", "high"])
    service = Service.objects.create(name="Email")
    sla = SLA.objects.create(name="Gold")
    sla.services.add(service)
    incident = TicketType.objects.create(name="Incident")
    support.rw.email = "rw@example.com"
    support.rw.save()
    ticket = factories.ticket(support.queue, title="Old title")
    pending = State.objects.get(name="pending reminder")
    ga = job(
        selection=in_queue(support.queue),
        changes={
            "queue": misc.pk,
            "note": {"subject": "By the job", "body": "Ticket <OTRS_TICKET_TicketNumber>."},
            "state": pending.pk,
            "pending_in": {"amount": 2, "unit": "days"},
            "customer_user": "dora@example.com",
            "customer_id": "DORA",
            "title": "New title",
            "type": incident.pk,
            "service": service.pk,
            "sla": sla.pk,
            "priority": Priority.objects.get(level=5).pk,
            "owner": support.rw.pk,
            "responsible": support.rw.pk,
            "lock": LockState.LOCK,
            "fields": {"Severity": "high"},
            "notify": {"to": ["owner", "ops@example.com"], "subject": "Moved", "body": "Hi"},
        },
    )
    now = timezone.now()

    run = run_job(ga, trigger=RunTrigger.MANUAL, now=now)

    assert (run.status, run.matched, run.changed, run.skipped, run.failed) == (
        RunStatus.DONE,
        1,
        1,
        0,
        0,
    )
    ticket.refresh_from_db()
    assert ticket.queue == misc
    assert ticket.state == pending
    assert ticket.pending_until == now + timedelta(days=2)
    assert (ticket.customer_user, ticket.customer_id) == ("dora@example.com", "DORA")
    assert ticket.title == "New title"
    assert (ticket.type, ticket.service, ticket.sla) == (incident, service, sla)
    assert ticket.priority.level == 5
    assert (ticket.owner, ticket.responsible, ticket.lock) == (support.rw, support.rw, "lock")
    assert values_for(TICKET, [ticket], definitions(TICKET))[ticket.pk] == {"Severity": "high"}
    note = Article.objects.filter(ticket=ticket, subject="By the job").get()
    assert note.body == f"Ticket {ticket.number}."
    mails = OutboundMessage.objects.filter(kind=OutboundKind.AGENT_NOTIFICATION)
    assert sorted(r for m in mails for r in m.recipients) == ["ops@example.com", "rw@example.com"]
    assert {m.subject for m in mails} == {"Moved"}
    # History: written by the actions, as the system user, each row naming the job's run.
    rows = TicketHistory.objects.filter(ticket=ticket, extra__genericagent_run=run.pk)
    types = set(rows.values_list("history_type", flat=True))
    assert {
        HistoryType.MOVE,
        HistoryType.ADD_NOTE,
        HistoryType.STATE_UPDATE,
        HistoryType.SET_PENDING_TIME,
        HistoryType.CUSTOMER_UPDATE,
        HistoryType.TITLE_UPDATE,
        HistoryType.TYPE_UPDATE,
        HistoryType.SERVICE_UPDATE,
        HistoryType.SLA_UPDATE,
        HistoryType.PRIORITY_UPDATE,
        HistoryType.OWNER_UPDATE,
        HistoryType.RESPONSIBLE_UPDATE,
        HistoryType.LOCK,
        HistoryType.TICKET_DYNAMIC_FIELD_UPDATE,
    } <= types
    assert set(rows.values_list("actor__kind", flat=True)) == {UserKind.SYSTEM}
    assert {r.extra["genericagent_job_name"] for r in rows} == {"Job"}
    item = run.items.get()
    assert [name for name, _old, _new in item.changes] == [
        "queue",
        "note",
        "state",
        "pending_until",
        "customer_user",
        "customer_id",
        "title",
        "type",
        "service",
        "sla",
        "priority",
        "owner",
        "responsible",
        "lock",
        "field:Severity",
        "notify",
    ]


def test_it_runs_as_a_chosen_agent_whose_permissions_then_apply(support, misc):
    allowed = factories.ticket(support.queue)
    elsewhere = factories.ticket(factories.queue("Secret", group_=factories.group("secret")))
    ga = job(
        selection={"all": [{"attr": "state", "op": "equals", "value": allowed.state_id}]},
        changes={"priority": Priority.objects.get(level=4).pk},
        run_as=support.rw,
    )

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert (run.matched, run.changed, run.skipped) == (2, 1, 1)
    skipped = run.items.get(outcome=ItemOutcome.SKIPPED)
    assert skipped.ticket_id == elsewhere.pk
    assert "permission" in skipped.reason
    row = TicketHistory.objects.get(ticket=allowed, history_type=HistoryType.PRIORITY_UPDATE)
    assert row.actor == support.rw


def test_it_deletes_tickets_and_keeps_the_trace(support):
    ticket = factories.ticket(support.queue, title="Spam")
    define("Severity", "text")
    actions.set_field_values(ticket, {"Severity": "x"}, actor=factories.system())
    ga = job(
        selection={"all": [{"attr": "title", "op": "equals", "value": "spam"}]},
        changes={"delete": True},
    )

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert run.changed == 1
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    item = run.items.get()
    assert (item.ticket_number, item.changes) == (ticket.number, [["delete", ticket.number, ""]])


# --- dry run, counts, skips, failures ------------------------------------------------------------


def test_a_dry_run_lists_exactly_what_the_real_run_then_does(support, misc):
    open_ = State.objects.get(name="open")
    tickets = [factories.ticket(support.queue, title=f"T{i}") for i in range(4)]
    actions.set_state(tickets[0], open_, actor=factories.system())
    ga = job(
        selection=in_queue(support.queue),
        changes={"state": open_.pk, "priority": Priority.objects.get(level=2).pk},
    )
    now = timezone.now()

    dry = run_job(ga, trigger=RunTrigger.MANUAL, dry_run=True, now=now)
    before = {t.pk: (t.state_id, t.priority_id) for t in Ticket.objects.all()}
    real = run_job(ga, trigger=RunTrigger.MANUAL, now=now)

    def seen(run):
        return [(i.ticket_id, i.changes) for i in run.items.order_by("ticket_id")]

    assert before == {t.pk: (t.state_id, t.priority_id) for t in tickets}  # dry changed nothing
    assert dry.dry_run and [i.outcome for i in dry.items.all()] == [ItemOutcome.WOULD_CHANGE] * 4
    assert seen(dry) == seen(real)
    assert (dry.matched, dry.changed) == (real.matched, real.changed) == (4, 4)
    assert [c[0] for c in dry.items.get(ticket_id=tickets[0].pk).changes] == ["priority"]


def test_the_limit_is_reported_truthfully(support):
    for i in range(5):
        factories.ticket(support.queue, title=f"T{i}")
    ga = job(
        selection=in_queue(support.queue),
        changes={"priority": Priority.objects.get(level=5).pk},
        run_limit=2,
    )

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert (run.matched, run.limit, run.changed, run.over_limit) == (5, 2, 2, 3)
    assert "5 tickets matched" in run.message and "left 3" in run.message
    again = run_job(ga, trigger=RunTrigger.MANUAL)
    # The two changed ones match still but have nothing to change: skipped, and say so.
    assert (again.matched, again.changed, again.skipped, again.over_limit) == (5, 0, 2, 3)
    assert set(again.items.values_list("reason", flat=True)) == {"Nothing to change."}


def test_a_job_that_matches_nothing_says_so(support):
    ga = job(selection=in_queue(support.queue), changes={"title": "x"})

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert (run.status, run.matched, run.message) == (
        RunStatus.NOTHING_MATCHED,
        0,
        "No ticket matches the selection.",
    )


def test_a_failing_ticket_is_reported_and_the_others_are_changed(support):
    first, second = factories.ticket(support.queue), factories.ticket(support.queue)
    queue = Queue.objects.create(name="Doomed", group=support.group)
    ga = job(selection=in_queue(support.queue), changes={"queue": queue.pk})
    # The queue disappears after the job was saved: the move cannot work, for either ticket;
    # a second job (a title change) is unaffected.
    GenericAgentJob.objects.filter(pk=ga.pk).update(changes={"queue": 999999})
    ga.refresh_from_db()

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert (run.status, run.matched, run.failed) == (RunStatus.WITH_FAILURES, 2, 2)
    assert all("DoesNotExist" in item.reason for item in run.items.all())
    other = job("Other", selection=in_queue(support.queue), changes={"title": "Still fine"})
    assert run_job(other, trigger=RunTrigger.MANUAL).changed == 2
    assert {first.pk, second.pk} == set(
        Ticket.objects.filter(title="Still fine").values_list("pk", flat=True)
    )


def test_a_ticket_whose_second_change_is_refused_keeps_none_of_its_changes(support):
    # The actions run without savepoints of their own inside the job's transaction per
    # ticket (whole_transaction): a refusal rolls back that ticket's earlier changes too.
    ticket = factories.ticket(support.queue, title="Before")
    ga = job(
        selection=in_queue(support.queue),
        # The title is changed first; the outsider may not own tickets of the queue.
        changes={"title": "After", "owner": support.outsider.pk},
    )
    history_before = TicketHistory.objects.filter(ticket=ticket).count()

    run = run_job(ga, trigger=RunTrigger.MANUAL)

    assert (run.matched, run.changed, run.skipped, run.failed) == (1, 0, 1, 0)
    item = run.items.get()
    assert item.outcome == ItemOutcome.SKIPPED and "cannot own tickets" in item.reason
    ticket.refresh_from_db()
    assert ticket.title == "Before" and ticket.owner_id != support.outsider.pk
    assert TicketHistory.objects.filter(ticket=ticket).count() == history_before


# Statements per changed ticket of a state-changing job: BEGIN (in a test's transaction a
# SAVEPOINT), the job's row lock, the action's, the history row, the outbox batch and event
# (one statement on PostgreSQL, two elsewhere), the ticket's UPDATE, the queue counts'
# delta, COMMIT (RELEASE). No savepoint of the action's own, no master data read per ticket.
PER_TICKET = {"postgresql": 8, "sqlite": 9, "mysql": 9}


def test_a_real_run_costs_a_fixed_number_of_statements_per_ticket(support):
    closed = State.objects.get(name="closed successful")

    def statements(count: int) -> list[str]:
        queue = factories.queue(f"Many {count}", group_=support.group)
        for _ in range(count):
            factories.ticket(queue)
        ga = job(f"Close {count}", selection=in_queue(queue), changes={"state": closed.pk})
        with CaptureQueriesContext(connection) as captured:
            assert run_job(ga, trigger=RunTrigger.MANUAL).changed == count
        return [q["sql"] for q in captured.captured_queries]

    few, more = statements(2), statements(6)
    assert (len(more) - len(few)) / 4 == PER_TICKET[connection.vendor]
    # Inside the test's transaction the job's own transaction per ticket is a savepoint; the
    # action makes none of its own.
    savepoints = [sql for sql in more if sql.upper().startswith("SAVEPOINT")]
    assert len(savepoints) == 6
    # The lock takes the ticket's row only (a join would lock the state's row as well).
    # SQLite locks the whole database and has no FOR UPDATE.
    locks = [sql for sql in more if "FOR UPDATE" in sql]
    assert len(locks) == (0 if connection.vendor == "sqlite" else 12)
    assert not [sql for sql in locks if "JOIN" in sql.upper()]


def test_a_ticket_changed_meanwhile_so_it_no_longer_matches_is_skipped(support, misc):
    ticket = factories.ticket(support.queue)
    ga = job(selection=in_queue(support.queue), changes={"title": "x"})

    original = engine.load
    moved = []

    # The ticket moves between the selection and the row lock (another agent's change,
    # committed just before the job's lock).
    def moved_first(*args, **kwargs):
        if not moved:
            moved.append(True)
            actions.move_ticket(ticket, misc, actor=support.rw)
        return original(*args, **kwargs)

    engine.load = moved_first  # type: ignore[assignment]
    try:
        run = run_job(ga, trigger=RunTrigger.MANUAL)
    finally:
        engine.load = original

    assert (run.matched, run.changed, run.skipped) == (1, 0, 1)
    assert run.items.get().reason == "No longer matches the selection."


# --- bad input ------------------------------------------------------------------------------------


def test_it_refuses_bad_jobs_naming_the_part(support):
    bad = GenericAgentJob(
        name="Bad",
        selection={
            "all": [
                {"attr": "colour", "op": "equals", "value": 1},
                {"attr": "queue", "op": "equals", "value": 999999},
            ]
        },
        schedule="0 0 31 2 *",
        events=["TicketExploded"],
        changes={"state": 999999, "owner": 999999, "fields": {"Nope": "x"}, "wobble": 1},
    )

    errors = job_errors(bad)

    assert errors["selection"] == [
        "all 1: There is no attribute “colour”.",
        "all 2: queue: “999999” does not exist.",
    ]
    assert errors["schedule"] == ["The schedule “0 0 31 2 *” never fires."]
    assert errors["events"] == ["“TicketExploded” is no ticket event."]
    assert sorted(errors["changes"]) == sorted(
        [
            "wobble: there is no such change.",
            "state: “999999” does not exist.",
            "owner: “999999” is no active agent.",
            "field:Nope: there is no such custom field.",
        ]
    )
    with pytest.raises(ValidationError):
        save_job(bad)
    assert not GenericAgentJob.objects.exists()


@pytest.mark.parametrize(
    ("cron", "error"),
    [
        ("* * *", "A schedule has five parts: minute hour day-of-month month day-of-week."),
        ("61 * * * *", "The minute part “61” is not valid."),
        ("0 25 * * *", "The hour part “25” is not valid."),
        ("0 0 30 2 *", "The schedule “0 0 30 2 *” never fires."),
    ],
)
def test_it_refuses_a_schedule_that_is_wrong_or_never_fires(cron, error):
    assert cron_errors(cron) == [error]


def test_a_leap_day_schedule_is_accepted():
    assert cron_errors("0 0 29 2 *") == []


def test_a_job_without_selection_or_changes_refuses_to_run(support):
    factories.ticket(support.queue)
    everything = job("Everything", changes={"title": "x"})
    nothing = job("Nothing", selection=in_queue(support.queue))

    assert run_job(everything, trigger=RunTrigger.MANUAL).status == RunStatus.REFUSED
    assert run_job(nothing, trigger=RunTrigger.MANUAL).status == RunStatus.REFUSED
    assert not Ticket.objects.filter(title="x").exists()


# --- the schedule and the command -----------------------------------------------------------------


def test_an_active_scheduled_job_is_on_the_beat_schedule_and_leaves_it_when_off(support):
    ga = job(
        selection=in_queue(support.queue), changes={"title": "x"}, schedule="*/10 6-18 * * 1-5"
    )
    assert ga.periodic_task is None  # switched off
    set_job_active(ga, True)
    task = PeriodicTask.objects.get(pk=ga.periodic_task_id)
    assert task.task == "tickets.tasks.run_generic_agent_job"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "*/10",
        "6-18",
        "1-5",
    )
    assert task.kwargs == f'{{"job_id": {ga.pk}}}'

    factories.ticket(support.queue)
    assert run_generic_agent_job(ga.pk) == 1
    assert GenericAgentRun.objects.get().trigger == RunTrigger.SCHEDULE

    set_job_active(ga, False)
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()
    assert run_generic_agent_job(ga.pk) is None  # a slot left over runs nothing


def test_a_scheduled_job_already_running_is_not_started_twice(support):
    ga = job(selection=in_queue(support.queue), changes={"title": "x"}, schedule="* * * * *")
    set_job_active(ga, True)
    GenericAgentJob.objects.filter(pk=ga.pk).update(running_since=timezone.now())
    assert run_generic_agent_job(ga.pk) is None
    assert not GenericAgentRun.objects.exists()


def test_the_command_lists_dry_runs_and_runs(support):
    ticket = factories.ticket(support.queue)
    job("Close it", selection=in_queue(support.queue), changes={"title": "Closed by command"})
    out = StringIO()

    call_command("genericagent", "--list", stdout=out)
    assert "Close it\toff\t-" in out.getvalue()

    call_command("genericagent", "--run", "Close it", "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and "matched 1" in out.getvalue()
    assert f"{ticket.number}\twould change\tTitle: Printer on fire -> Closed by command" in (
        out.getvalue()
    )
    ticket.refresh_from_db()
    assert ticket.title == "Printer on fire"

    call_command("genericagent", "--run", "Close it", stdout=out)
    ticket.refresh_from_db()
    assert ticket.title == "Closed by command"

    with pytest.raises(CommandError, match="There is no GenericAgent job “Nope”"):
        call_command("genericagent", "--run", "Nope", stdout=out)


# --- event jobs ----------------------------------------------------------------------------------


def test_an_event_job_runs_once_per_event_also_after_a_redelivery(
    support, misc, django_capture_on_commit_callbacks
):
    ga = job(
        "Escalate moved",
        changes={"priority": Priority.objects.get(level=5).pk},
        events=["TicketQueueUpdate"],
        event_filter={"new": [str(misc.pk)]},
        valid=True,
    )
    ticket = factories.ticket(support.queue)
    other = factories.ticket(support.queue)

    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(ticket, misc, actor=support.rw)
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_title(other, "Not moved", actor=support.rw)

    run = GenericAgentRun.objects.get(job=ga)
    assert (run.trigger, run.event_name, run.matched, run.changed) == (
        RunTrigger.EVENT,
        "TicketQueueUpdate",
        1,
        1,
    )
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert (ticket.priority.level, other.priority.level) == (5, 3)

    # The worker's claim ran out and another worker takes the batch again.
    row = EventDelivery.objects.get(handler=receivers.HANDLER, batch__events__id=run.event_id)
    EventDelivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.RUNNING, next_attempt_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_due(now=timezone.now() + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DONE, 2)
    assert GenericAgentRun.objects.filter(job=ga).count() == 1
    assert (
        TicketHistory.objects.filter(
            ticket=ticket, history_type=HistoryType.PRIORITY_UPDATE
        ).count()
        == 1
    )


def test_jobs_that_trigger_each_other_are_stopped_at_the_depth_limit(
    support, misc, settings, django_capture_on_commit_callbacks
):
    settings.GENERIC_AGENT_MAX_EVENT_DEPTH = 3
    ping = job(
        "Ping",
        selection=in_queue(support.queue),
        changes={"queue": misc.pk},
        events=["TicketQueueUpdate"],
        valid=True,
    )
    pong = job(
        "Pong",
        selection=in_queue(misc),
        changes={"queue": support.queue.pk},
        events=["TicketQueueUpdate"],
        valid=True,
    )
    ticket = factories.ticket(misc)

    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(ticket, support.queue, actor=support.rw)

    runs = list(GenericAgentRun.objects.order_by("pk"))
    # Both jobs hear each move (Pong sees the ticket Ping just moved, in the same batch), so
    # each generation is two runs; the fifth generation is stopped and changes nothing.
    assert [(r.job_id, r.depth, r.status) for r in runs] == [
        *[(job_, depth, RunStatus.DONE) for depth in range(4) for job_ in (ping.pk, pong.pk)],
        (ping.pk, 4, RunStatus.LOOP_STOPPED),
        (pong.pk, 4, RunStatus.LOOP_STOPPED),
    ]
    ticket.refresh_from_db()
    assert ticket.queue == support.queue  # where the last allowed run left it
    assert "chain of 4 GenericAgent runs" in runs[-1].message
    assert runs[-1].matched == 0


def test_a_failing_event_job_does_not_keep_the_others_from_running(
    support, misc, django_capture_on_commit_callbacks
):
    broken = job("A broken", changes={"title": "x"}, events=["TicketQueueUpdate"], valid=True)
    GenericAgentJob.objects.filter(pk=broken.pk).update(changes={"queue": 999999})
    working = job("B working", changes={"title": "Seen"}, events=["TicketQueueUpdate"], valid=True)
    ticket = factories.ticket(support.queue)

    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(ticket, misc, actor=support.rw)

    assert GenericAgentRun.objects.get(job=broken).status == RunStatus.WITH_FAILURES
    assert GenericAgentRun.objects.get(job=working).changed == 1
    ticket.refresh_from_db()
    assert ticket.title == "Seen"
    delivered = EventDelivery.objects.filter(handler=receivers.HANDLER)
    assert set(delivered.values_list("status", flat=True)) == {DeliveryStatus.DONE}


def test_the_demo_jobs_are_off_valid_and_do_what_they_say(support):
    pending = State.objects.get(name="pending reminder")
    old = factories.ticket(
        support.queue, state=pending, pending_until=timezone.now() - timedelta(days=31)
    )
    Ticket.objects.filter(pk=old.pk).update(changed_at=timezone.now() - timedelta(days=31))
    fresh = factories.ticket(
        support.queue, state=pending, pending_until=timezone.now() + timedelta(days=1)
    )
    raw = Queue.objects.get(name="Raw")
    waiting = factories.ticket(raw, created_at=timezone.now() - timedelta(hours=2))
    factories.ticket(raw)  # just in

    _genericagent_demo.load(StringIO())
    _genericagent_demo.load(StringIO())  # again: nothing new

    close, move = GenericAgentJob.objects.order_by("name")
    assert (close.valid, move.valid) == (False, False)
    assert not any(job_errors(j) for j in (close, move))
    closing = run_job(close, trigger=RunTrigger.MANUAL, dry_run=True)
    assert [i.ticket_id for i in closing.items.all()] == [old.pk]
    moving = run_job(move, trigger=RunTrigger.MANUAL, dry_run=True)
    assert [i.ticket_id for i in moving.items.all()] == [waiting.pk]
    assert fresh.pk not in [i.ticket_id for i in closing.items.all()]


def test_a_batch_no_event_job_listens_to_gets_no_genericagent_delivery(
    support, misc, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(support.queue)
    # A job on another event, and an invalid one on this event: neither listens.
    job("On close", changes={"title": "x"}, events=["TicketStateUpdate"], valid=True)
    job("Off", changes={"title": "x"}, events=["TicketQueueUpdate"], valid=False)
    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(ticket, misc, actor=support.rw)
    assert not EventDelivery.objects.filter(handler="tickets.genericagent").exists()

    job("On move", changes={"title": "Moved"}, events=["TicketQueueUpdate"], valid=True)
    with django_capture_on_commit_callbacks(execute=True):
        actions.move_ticket(ticket, support.queue, actor=support.rw)
    assert EventDelivery.objects.filter(handler="tickets.genericagent").count() == 1
    ticket.refresh_from_db()
    assert ticket.title == "Moved"
