"""Process management: the demo process imported from YAML and exported back, a process
ticket walked through the agent portal (start dialog, a dialog, transitions with their
actions, history, events and the trace), refusals (dialogs not offered, readers and
outsiders, required fields), a circle of transitions stopped, and the checks that name the
broken part."""

from __future__ import annotations

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse

from otrs.errors import DomainError
from otrs.events.models import OutboxEvent
from tests import factories
from tickets.choices import HistoryType
from tickets.management.commands import _process_demo
from tickets.models import (
    Activity,
    ActivityDialog,
    Process,
    ProcessState,
    ProcessStep,
    TicketHistory,
    TicketProcess,
    Transition,
)
from tickets.processes import definitions, engine
from tickets.processes.dialogs import DialogForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def change_request(support) -> Process:
    _process_demo.load(stdout=type("Out", (), {"write": lambda self, text: None})())
    return Process.objects.get(name=_process_demo.NAME)


def _start(client, process, **data):
    return client.post(
        reverse("agent:process_start", args=[process.pk]),
        {"title": "Upgrade the mail server", "body": "To version 9, on Friday.", **data},
    )


def _dialog(process, name) -> ActivityDialog:
    return ActivityDialog.objects.get(process=process, name=name)


def test_it_imports_the_demo_and_exports_the_same_definition(change_request):
    assert change_request.state == ProcessState.ACTIVE
    assert definitions.process_errors(change_request) == {}
    exported = definitions.export_data(change_request)
    assert exported["start_activity"] == "Recorded"
    assert [t["name"] for t in exported["transitions"]] == [
        "Submitted for approval",
        "Approved",
        "Rejected",
        "Implemented",
    ]
    assert exported["transitions"][1]["condition"] == "field:ChangeApproval = approved"
    assert exported["transitions"][2]["actions"] == {"state": "closed unsuccessful"}
    # Importing the export again changes nothing.
    again = definitions.import_process(definitions.export_process(change_request))
    assert again.pk == change_request.pk
    assert definitions.export_data(again) == exported


def test_it_walks_a_process_ticket_from_start_to_end(client, support, change_request):
    client.force_login(support.rw)
    listed = client.get(reverse("agent:process_list"))
    assert change_request.name in listed.content.decode()

    response = _start(client, change_request)
    assert response.status_code == 302, response.content.decode()[:3000]
    place = TicketProcess.objects.select_related("ticket", "activity").get()
    ticket = place.ticket
    # The start activity had a transition without a condition: the ticket moved on at once,
    # and its action set the state.
    assert place.activity.name == "Awaiting approval"
    assert ticket.state.name == "open"
    assert ticket.articles.get().body == "To version 9, on Friday."

    zoom = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Awaiting approval" in zoom
    decide = _dialog(change_request, "Decide")
    dialog_url = reverse("agent:process_dialog", args=[ticket.pk, decide.pk])
    assert dialog_url in zoom
    assert "Submitted for approval" in zoom  # the trace of the start

    # Required: the approval.
    refused = client.post(dialog_url, {"body": ""})
    assert refused.status_code == 400
    assert TicketProcess.objects.get().activity.name == "Awaiting approval"

    response = client.post(dialog_url, {"field_ChangeApproval": "approved", "body": "Go."})
    assert response.status_code == 302, response.content.decode()[:3000]
    place.refresh_from_db()
    assert place.activity.name == "Implementation"
    notes = list(ticket.articles.order_by("pk").values_list("subject", flat=True))
    assert notes[-1] == "Change approved"  # the transition's action

    step = ProcessStep.objects.filter(ticket=ticket).latest("pk")
    assert step.dialog_name == "Decide"
    assert (step.activity_before, step.activity_after) == ("Awaiting approval", "Implementation")
    assert step.checks[0]["transition"] == "Approved" and step.checks[0]["held"]
    assert step.checks[0]["lines"] == [["field:ChangeApproval = approved", True]]

    report = _dialog(change_request, "Report implementation")
    response = client.post(
        reverse("agent:process_dialog", args=[ticket.pk, report.pk]),
        {"body": "Done at 18:00.", "state": factories.state("closed successful").pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state.name == "closed successful"
    assert TicketProcess.objects.get().activity.name == "Done"

    moves = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.PROCESS_UPDATE)
    assert [m.extra["transition_name"] for m in moves.order_by("pk")] == [
        "",
        "Submitted for approval",
        "Approved",
        "Implemented",
    ]
    # Every change made on the way says which step made it; each move is an event.
    closing = TicketHistory.objects.filter(
        ticket=ticket, history_type=HistoryType.STATE_UPDATE
    ).latest("pk")
    assert closing.extra["process_step"] == ProcessStep.objects.latest("pk").pk
    note = TicketHistory.objects.filter(ticket=ticket, history_type=HistoryType.ADD_NOTE).latest(
        "pk"
    )
    assert note.extra["process_transition"] == "Implemented"
    events = OutboxEvent.objects.filter(name="TicketProcessUpdate", object_id=ticket.pk)
    assert events.count() == 4
    # The history reads as sentences.
    page = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "activity “Done” (transition “Implemented”)" in page


def test_it_traces_the_transitions_that_did_not_hold(support, change_request):
    ticket = _started(support, change_request)
    form = _filled(change_request, "Decide", support.rw, ticket, field_ChangeApproval="rejected")
    step = engine.submit_dialog(ticket, form, actor=support.rw)
    assert [(c["transition"], c["held"]) for c in step.checks] == [
        ("Approved", False),
        ("Rejected", True),
    ]
    assert step.checks[0]["lines"] == [["field:ChangeApproval = approved", False]]
    ticket.refresh_from_db()
    assert ticket.state.name == "closed unsuccessful"


def _started(support, process):
    form = DialogForm(
        {"title": "A change", "body": "Details."},
        dialog=process.start_dialog,
        user=support.rw,
    )
    assert form.is_valid(), form.errors
    return engine.start_process(process, form, actor=support.rw)


def _filled(process, name, user, ticket, **data):
    form = DialogForm(data, dialog=_dialog(process, name), user=user, ticket=ticket)
    assert form.is_valid(), form.errors
    return form


def test_it_refuses_a_dialog_the_activity_does_not_offer(client, support, change_request):
    ticket = _started(support, change_request)
    report = _dialog(change_request, "Report implementation")
    client.force_login(support.rw)
    url = reverse("agent:process_dialog", args=[ticket.pk, report.pk])
    assert client.get(url).status_code == 404
    closed = factories.state("closed successful").pk
    form = _filled(
        change_request, "Report implementation", support.rw, ticket, body="x", state=closed
    )
    with pytest.raises(DomainError):
        engine.submit_dialog(ticket, form, actor=support.rw)


@pytest.mark.parametrize("persona", ["ro", "outsider"])
def test_it_hides_the_dialogs_from_readers_and_outsiders(client, support, change_request, persona):
    ticket = _started(support, change_request)
    decide = _dialog(change_request, "Decide")
    client.force_login(getattr(support, persona))
    url = reverse("agent:process_dialog", args=[ticket.pk, decide.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"field_ChangeApproval": "approved"}).status_code == 404
    if persona == "outsider":
        # Nothing to start either: no create permission in the process's queue.
        assert (
            client.get(reverse("agent:process_start", args=[change_request.pk])).status_code == 404
        )


def test_it_stops_a_circle_of_transitions(support, settings):
    settings.PROCESS_MAX_TRANSITIONS = 5
    process = Process.objects.create(name="Circle", queue=support.queue)
    dialog = ActivityDialog.objects.create(process=process, name="Start", fields=[])
    first = Activity.objects.create(process=process, name="A")
    second = Activity.objects.create(process=process, name="B")
    Transition.objects.create(
        process=process, name="there", from_activity=first, to_activity=second
    )
    Transition.objects.create(process=process, name="back", from_activity=second, to_activity=first)
    process.start_activity, process.start_dialog = first, dialog
    process.state = ProcessState.ACTIVE
    process.save()
    ticket = _started(support, process)
    step = ProcessStep.objects.get(ticket=ticket)
    assert len([c for c in step.checks if c["held"]]) == 5
    assert step.checks[-1].get("stopped") is True
    assert "Stopped after 5 transitions" in step.message
    # And the check says the process has no way out.
    assert any("no way out" in m for m in definitions.process_errors(process)["activities"])


def test_it_names_what_is_wrong_with_a_process(support):
    process = Process.objects.create(name="Broken", queue=support.queue)
    lone = Activity.objects.create(process=process, name="Lonely")
    errors = definitions.process_errors(process)
    assert "start" in errors
    Activity.objects.create(process=process, name="Start")
    process.start_activity = Activity.objects.get(name="Start")
    process.save()
    errors = definitions.process_errors(process)
    assert any(m.startswith("Lonely: cannot be reached") for m in errors["activities"])
    # An active process with problems is switched off when saved.
    process.state = ProcessState.ACTIVE
    assert definitions.save_process(process)
    assert Process.objects.get(pk=process.pk).state == ProcessState.INACTIVE
    assert lone.pk


def test_it_refuses_an_import_naming_each_part(support, change_request):
    data = definitions.export_data(change_request)
    data["queue"] = "Nowhere"
    decide = next(d for d in data["dialogs"] if d["name"] == "Decide")
    decide["fields"].append({"name": "field:Missing", "required": False})
    data["transitions"][1]["condition"] = "colour = blue"
    data["transitions"][2]["actions"] = {"state": "vanished"}
    with pytest.raises(ValidationError) as refused:
        definitions.import_process(yaml.safe_dump(data))
    messages = " | ".join(refused.value.messages)
    assert "queue: “Nowhere” does not exist." in messages
    assert "dialog Decide: field:Missing: there is no such custom field." in messages
    assert "transition Approved" in messages and "colour" in messages
    assert "transition Rejected: state “vanished” does not exist." in messages
    # Nothing changed.
    assert definitions.export_data(Process.objects.get(pk=change_request.pk))["queue"] == "Support"


def test_the_admin_shows_the_drawing_and_exports_yaml(client, support, change_request):
    admin = factories.agent("boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:tickets_process_change", args=[change_request.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Awaiting approval" in html
    assert "None: the process can be active." in html
    exported = client.post(
        reverse("admin:tickets_process_changelist"),
        {"action": "export_yaml", "_selected_action": [change_request.pk]},
    )
    assert yaml.safe_load(exported.content)["process"] == "Change request"
