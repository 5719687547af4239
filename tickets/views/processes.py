"""Process tickets in the agent portal: the list of processes to start, the start dialog, a
process ticket's dialogs, and the zoom's process panel (current activity, dialogs offered,
the last steps with the transitions that fired and why)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from otrs.accounts.decorators import agent_required
from otrs.action_flow import form_screen
from otrs.permissions import PermissionKey

from .. import access
from ..models import ActivityDialog, Process, ProcessState, ProcessStep, Ticket, TicketProcess
from ..processes import engine
from ..processes.dialogs import DialogForm
from .ticket_screen import acl_action, ticket_screen

# Steps the zoom's panel shows (the admin keeps them all).
ZOOM_STEPS = 5


def _startable_for(user) -> list[Process]:
    """Active processes the agent may start: the start dialog is for agents, and the agent
    may create tickets in the process's queue (or the dialog asks for a queue)."""
    found = Process.objects.filter(state=ProcessState.ACTIVE).select_related(
        "start_dialog", "queue"
    )
    creatable = set(access.queues_for(user, PermissionKey.CREATE).values_list("pk", flat=True))
    return [
        p
        for p in found
        if engine.startable(p)
        and (
            p.queue_id in creatable
            or any(f.get("name") == "queue" for f in getattr(p.start_dialog, "fields", []))
        )
    ]


@agent_required
@require_safe
def process_list(request):
    return render(
        request, "tickets/processes/list.html", {"processes": _startable_for(request.user)}
    )


@agent_required
@require_http_methods(["GET", "POST"])
def process_start(request, pk: int):
    process = next((p for p in _startable_for(request.user) if p.pk == pk), None)
    if process is None:
        raise Http404
    dialog = process.start_dialog
    data = (request.POST,) if request.method == "POST" else ()
    form = DialogForm(*data, dialog=dialog, user=request.user)

    def page(form, *, status=200, error=None):
        context = {"form": form, "process": process, "dialog": dialog, "ticket": None}
        return render(request, "tickets/processes/dialog.html", context, status=status)

    def done(ticket: Ticket):
        message = _("Process ticket %(number)s started.") % {"number": ticket.number}
        if access.can(request.user, ticket, PermissionKey.RO):
            return message, reverse("agent:zoom", args=[ticket.pk])
        return message, reverse("agent:dashboard")

    return form_screen(
        request,
        form,
        lambda cleaned: engine.start_process(process, form, actor=request.user),
        done=done,
        render=page,
    )


@agent_required
@require_http_methods(["GET", "POST"])
@acl_action("process_dialog")
def process_dialog(request, pk: int, dialog_pk: int):
    """A dialog of the ticket's current activity. Submitted on a ticket others changed
    since it was opened: their changes are shown and a second submit applies it anyway (the
    edit conflict of every ticket screen). Submitted after the ticket moved on to an
    activity without this dialog: refused with where it stands now (409), never applied."""
    ticket = access.get_or_404(request.user, pk, PermissionKey.RW)
    place = TicketProcess.objects.select_related("process", "activity").filter(ticket=ticket)
    found = place.first()
    dialog = get_object_or_404(ActivityDialog, pk=dialog_pk)
    if found is None:
        raise Http404
    moved = engine.left_behind(found, dialog)
    if dialog not in engine.offered_dialogs(found) and not (moved and request.method == "POST"):
        raise Http404
    data = (request.POST,) if request.method == "POST" else ()
    form = DialogForm(*data, dialog=dialog, user=request.user, ticket=ticket)
    if moved:
        form.nothing_required()  # the engine refuses it below, with the reason

    def done(step: ProcessStep) -> str:
        if step.activity_after != step.activity_before:
            return _("Saved; the ticket moved on to “%(activity)s”.") % {
                "activity": step.activity_after
            }
        return _("Saved; the ticket stays in “%(activity)s”.") % {"activity": step.activity_after}

    return ticket_screen(
        request,
        ticket,
        form,
        "tickets/processes/dialog.html",
        lambda cleaned: engine.submit_dialog(
            ticket, form, actor=request.user, expected_version=form.expected_version()
        ),
        done=done,
        process=found.process,
        dialog=dialog,
    )


def zoom_panel(ticket: Ticket, *, may_write: bool) -> dict | None:
    """What the zoom shows of the ticket's process (one query for a ticket in none)."""
    place = TicketProcess.objects.select_related("process", "activity").filter(ticket=ticket)
    found = place.first()
    if found is None:
        return None
    steps = list(
        ProcessStep.objects.filter(ticket=ticket)
        .select_related("caused_by")
        .order_by("-created_at", "-pk")
    )
    return {
        "place": found,
        "dialogs": engine.offered_dialogs(found) if may_write else [],
        "steps": steps[:ZOOM_STEPS],
        "more_steps": max(0, len(steps) - ZOOM_STEPS),
    }


urlpatterns = [
    path("processes/", process_list, name="process_list"),
    path("processes/<int:pk>/start/", process_start, name="process_start"),
    path("tickets/<int:pk>/process/<int:dialog_pk>/", process_dialog, name="process_dialog"),
]
