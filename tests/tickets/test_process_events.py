"""Process transitions after changes made elsewhere (a plain screen, the API, GenericAgent),
through the durable events: the move with its actions, history and trace; once per change
also when the batch is delivered again; a chain of automatic changes cut at its limit;
tickets outside running processes left alone. And the edit conflicts of activity dialogs:
others' changes shown, "submit anyway", and a dialog of an activity the ticket has left
refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import system_user
from otrs.conditions import text as condition_text
from otrs.events import delivery
from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.fields.selectors import definitions, values_for
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tickets import actions
from tickets.automation.actions import save_job
from tickets.automation.attributes import ticket_schema
from tickets.choices import HistoryType
from tickets.fields import TICKET
from tickets.management.commands import _process_demo
from tickets.models import (
    Activity,
    ActivityDialog,
    GenericAgentJob,
    Priority,
    Process,
    ProcessState,
    ProcessStep,
    TicketHistory,
    TicketProcess,
    Transition,
)
from tickets.processes import engine, receivers
from tickets.processes.dialogs import DialogForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_request(support) -> Process:
    _process_demo.load(stdout=type("Out", (), {"write": lambda self, text: None})())
    return Process.objects.get(name=_process_demo.NAME)


def _dialog(process, name) -> ActivityDialog:
    return ActivityDialog.objects.get(process=process, name=name)


def _started(support, process):
    form = DialogForm(
        {"title": "A change", "body": "Details."}, dialog=process.start_dialog, user=support.rw
    )
    assert form.is_valid(), form.errors
    return engine.start_process(process, form, actor=support.rw)


def _submit(process, name, user, ticket, **data):
    form = DialogForm(data, dialog=_dialog(process, name), user=user, ticket=ticket)
    assert form.is_valid(), form.errors
    return engine.submit_dialog(ticket, form, actor=user)


def _activity(ticket) -> str:
    return TicketProcess.objects.get(ticket=ticket).activity.name


def _approval(ticket):
    fields = [d for d in definitions(TICKET) if d.name == "ChangeApproval"]
    return values_for(TICKET, [ticket.pk], fields)[ticket.pk].get("ChangeApproval")


# --- transitions after changes made elsewhere ---------------------------------------------------


def test_a_state_set_in_the_close_screen_moves_the_process(
    client, support, change_request, django_capture_on_commit_callbacks
):
    ticket = _started(support, change_request)
    _submit(change_request, "Decide", support.rw, ticket, field_ChangeApproval="approved")
    assert _activity(ticket) == "Implementation"

    client.force_login(support.rw)
    closed = factories.state("closed successful")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("agent:close", args=[ticket.pk]), {"state": closed.pk, "note": ""}
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert _activity(ticket) == "Done"
    step = ProcessStep.objects.filter(ticket=ticket).latest("pk")
    assert step.dialog_name == ""
    assert (step.activity_before, step.activity_after) == ("Implementation", "Done")
    assert "TicketStateUpdate" in step.trigger_events
    assert step.caused_by == support.rw and step.actor == system_user()
    assert step.checks[0]["transition"] == "Implemented" and step.checks[0]["held"]
    # The transition's action ran, and the move is in the history like a dialog's.
    assert ticket.articles.order_by("pk").last().subject == "Change carried out"
    move = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.PROCESS_UPDATE
    ).latest("pk")
    assert move.extra["transition_name"] == "Implemented"
    assert move.extra["process_step"] == step.pk
    # The zoom's trace names the change.
    zoom = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "After a change by" in zoom


def test_a_custom_field_set_through_the_api_moves_the_process(
    support, change_request, django_capture_on_commit_callbacks
):
    ticket = _started(support, change_request)
    assert _activity(ticket) == "Awaiting approval"
    api = ApiClient(token_for(support.rw))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            f"/api/v1/tickets/{ticket.pk}/", {"custom_fields": {"ChangeApproval": "rejected"}}
        )
    assert response.status_code == 200, response.content
    assert _activity(ticket) == "Rejected"
    ticket.refresh_from_db()
    assert ticket.state.name == "closed unsuccessful"  # the transition's action
    step = ProcessStep.objects.filter(ticket=ticket).latest("pk")
    assert step.trigger_events == ["TicketDynamicFieldUpdate"]


def test_transition_actions_run_once_when_the_batch_is_delivered_again(
    support, change_request, django_capture_on_commit_callbacks
):
    ticket = _started(support, change_request)
    _submit(change_request, "Decide", support.rw, ticket, field_ChangeApproval="approved")
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_state(ticket, factories.state("closed successful"), actor=support.rw)
    assert _activity(ticket) == "Done"

    # The worker's claim ran out and another worker takes the batch again; and an
    # administrator retries it once more.
    row = EventDelivery.objects.filter(handler=receivers.HANDLER).latest("pk")
    for _attempt in range(2):
        EventDelivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.RUNNING, next_attempt_at=timezone.now()
        )
        with django_capture_on_commit_callbacks(execute=True):
            delivery.deliver_due(now=timezone.now() + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DONE, 3)
    assert ProcessStep.objects.filter(ticket=ticket, dialog_name="").count() == 1
    notes = ticket.articles.filter(subject="Change carried out")
    assert notes.count() == 1
    moves = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.PROCESS_UPDATE)
    assert moves.count() == 4  # start, submitted, approved, implemented


def _ping_pong(support) -> Process:
    """Two activities whose transitions both hold on the title "Ping" and set it to "Pong"."""
    schema = ticket_schema()
    process = Process.objects.create(name="Ping pong", queue=support.queue)
    dialog = ActivityDialog.objects.create(process=process, name="Start", fields=[])
    first = Activity.objects.create(process=process, name="A")
    second = Activity.objects.create(process=process, name="B")
    first.dialogs.add(dialog)
    ping = condition_text.parse("title = Ping", schema)
    for name, source, target in (("there", first, second), ("back", second, first)):
        Transition.objects.create(
            process=process,
            name=name,
            from_activity=source,
            to_activity=target,
            condition=ping,
            actions={"title": "Pong"},
        )
    process.start_activity, process.start_dialog = first, dialog
    process.state = ProcessState.ACTIVE
    process.save()
    return process


def test_a_chain_of_transitions_and_genericagent_jobs_is_cut_at_the_limit(
    support, settings, django_capture_on_commit_callbacks
):
    settings.PROCESS_MAX_EVENT_DEPTH = 3
    settings.GENERIC_AGENT_MAX_EVENT_DEPTH = 50
    process = _ping_pong(support)
    ticket = _started(support, process)
    # A job that answers every "Pong" with "Ping": with the transitions, a loop.
    save_job(
        GenericAgentJob(
            name="Answer",
            selection=condition_text.parse("title = Pong", ticket_schema()),
            changes={"title": "Ping"},
            events=["TicketTitleUpdate"],
            valid=True,
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_title(ticket, "Ping", actor=support.rw)

    steps = list(ProcessStep.objects.filter(ticket=ticket, dialog_name="").order_by("pk"))
    assert [s.depth for s in steps] == [0, 1, 2, 3, 4]
    assert [s.activity_after for s in steps] == ["B", "A", "B", "A", "A"]
    stopped = steps[-1]
    assert "chain of 4 automatic changes" in stopped.message
    assert stopped.checks[-1]["stopped"] is True
    ticket.refresh_from_db()
    assert ticket.title == "Ping"  # the job's answer to the last move; nothing after it
    # The GenericAgent runs carried the process's depth: none was stopped by its own limit.
    assert not EventDelivery.objects.exclude(status=DeliveryStatus.DONE).exists()


def test_tickets_outside_running_processes_are_left_alone(
    support, change_request, django_capture_on_commit_callbacks
):
    plain = factories.ticket(support.queue)
    in_process = _started(support, change_request)
    _submit(change_request, "Decide", support.rw, in_process, field_ChangeApproval="approved")
    Process.objects.filter(pk=change_request.pk).update(state=ProcessState.INACTIVE)
    closed = factories.state("closed successful")
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_state(plain, closed, actor=support.rw)
        actions.set_state(in_process, closed, actor=support.rw)
    assert not ProcessStep.objects.filter(ticket=plain).exists()
    assert not TicketProcess.objects.filter(ticket=plain).exists()
    # An inactive process moves none of its tickets (Znuny: only active and fading ones).
    assert _activity(in_process) == "Implementation"
    # A fading process goes on for the tickets it has.
    Process.objects.filter(pk=change_request.pk).update(state=ProcessState.FADE_AWAY)
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_priority(in_process, Priority.objects.get(level=4), actor=support.rw)
    assert _activity(in_process) == "Done"


def test_a_site_without_process_tickets_gets_no_delivery(
    support, django_capture_on_commit_callbacks
):
    ticket = factories.ticket(support.queue)
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_title(ticket, "Renamed", actor=support.rw)
    assert not EventDelivery.objects.filter(handler=receivers.HANDLER).exists()


# --- edit conflicts in activity dialogs ---------------------------------------------------------


def _seen(html: str) -> str:
    found = re.search(r'name="seen" value="(\d+)"', html)
    assert found, "the form carries no version"
    return found.group(1)


def _opened_decision(client, support, process):
    """A new process ticket whose "Decide" dialog the rw agent has opened: the ticket, the
    dialog, its URL and the version the form carries."""
    ticket = _started(support, process)
    decide = _dialog(process, "Decide")
    url = reverse("agent:process_dialog", args=[ticket.pk, decide.pk])
    client.force_login(support.rw)
    return ticket, decide, url, _seen(client.get(url).content.decode())


@pytest.fixture
def colleague(support):
    other = factories.agent("colleague")
    factories.grant(other, support.group, factories.RW)
    return other


def test_a_dialog_on_a_ticket_changed_since_shows_the_changes_and_submits_anyway(
    client, support, change_request, colleague
):
    ticket, _decide, url, seen = _opened_decision(client, support, change_request)

    actions.set_priority(ticket, Priority.objects.get(level=5), actor=colleague)
    answer = {"seen": seen, "field_ChangeApproval": "approved", "body": "Go."}
    conflict = client.post(url, answer)
    assert conflict.status_code == 409
    page = conflict.content.decode()
    assert "Changed since you opened this form" in page
    assert "colleague" in page and "Submit anyway" in page and "Discard" in page
    assert _activity(ticket) == "Awaiting approval"
    assert _approval(ticket) is None  # nothing was written

    # "Submit anyway": the form now carries the current version.
    again = client.post(url, {**answer, "seen": _seen(page)})
    assert again.status_code == 302, again.content.decode()[:2000]
    assert _activity(ticket) == "Implementation"


def test_a_dialog_of_an_activity_the_ticket_has_left_is_refused(
    client, support, change_request, colleague
):
    ticket, decide, url, seen = _opened_decision(client, support, change_request)

    _submit(change_request, "Decide", colleague, ticket, field_ChangeApproval="approved")
    assert _activity(ticket) == "Implementation"

    answer = {"seen": seen, "field_ChangeApproval": "rejected", "body": "No."}
    refused = client.post(url, answer)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "cannot be submitted any more" in page
    assert "moved on to the activity “Implementation”" in page
    report = _dialog(change_request, "Report implementation")
    assert reverse("agent:process_dialog", args=[ticket.pk, report.pk]) in page
    assert "Submit anyway" not in page and "Changed since you opened this form" in page
    # Not even knowingly: with the current version it is refused all the same.
    again = client.post(url, {**answer, "seen": _seen(page)})
    assert again.status_code == 409
    assert _approval(ticket) == "approved"
    assert not ticket.articles.filter(body="No.").exists()
    # The engine says the same to any caller.
    form = DialogForm(answer, dialog=decide, user=support.rw, ticket=ticket)
    assert form.is_valid()
    with pytest.raises(engine.ActivityChanged):
        engine.submit_dialog(ticket, form, actor=support.rw)
