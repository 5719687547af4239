"""Process tickets in the customer portal: processes whose start dialog is offered to
customers (in a queue customers may open tickets in), and the dialogs a customer's process
ticket offers customers now. The same engine as the agent portal
(:mod:`tickets.processes.engine`); a customer sets only a message and custom fields."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from customer_portal.decorators import customer_required
from otrs.action_flow import form_screen
from otrs.permissions import PermissionKey
from tickets import access
from tickets.models import ActivityDialog, Process, ProcessState, TicketProcess
from tickets.processes import engine
from tickets.processes.dialogs import DialogForm


def _startable_for(user) -> list[Process]:
    creatable = set(access.queues_for(user, PermissionKey.CREATE).values_list("pk", flat=True))
    found = Process.objects.filter(state=ProcessState.ACTIVE, queue_id__in=creatable)
    return [p for p in found.select_related("start_dialog") if engine.startable(p, customer=True)]


@customer_required
@require_safe
def process_list(request):
    context = {"processes": _startable_for(request.user)}
    return render(request, "customer_portal/processes/list.html", context)


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
def process_start(request, pk: int):
    process = next((p for p in _startable_for(request.user) if p.pk == pk), None)
    if process is None:
        raise Http404
    dialog = process.start_dialog
    form = DialogForm(
        *((request.POST,) if request.method == "POST" else ()), dialog=dialog, user=request.user
    )
    return form_screen(
        request,
        form,
        lambda cleaned: engine.start_process(process, form, actor=request.user, customer=True),
        done=lambda ticket: (
            _("Ticket %(number)s was created.") % {"number": ticket.number},
            reverse("customer:ticket", args=[ticket.pk]),
        ),
        render=lambda form, *, status=200, error=None: render(
            request,
            "customer_portal/processes/dialog.html",
            {"form": form, "process": process, "dialog": dialog, "ticket": None},
            status=status,
        ),
    )


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
def process_dialog(request, pk: int, dialog_pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.NOTE)
    place = TicketProcess.objects.select_related("process", "activity").filter(ticket=ticket)
    found = place.first()
    dialog = get_object_or_404(ActivityDialog, pk=dialog_pk)
    if found is None:
        raise Http404
    # A dialog the ticket's activity no longer has (it moved on while the customer wrote):
    # posted, the engine refuses it with where the ticket stands (409); shown, it is not there.
    moved = engine.left_behind(found, dialog, customer=True)
    offered = dialog in engine.offered_dialogs(found, customer=True)
    if not offered and not (moved and request.method == "POST"):
        raise Http404
    form = DialogForm(
        *((request.POST,) if request.method == "POST" else ()),
        dialog=dialog,
        user=request.user,
        ticket=ticket,
    )
    if moved:
        form.nothing_required()
    return form_screen(
        request,
        form,
        lambda cleaned: engine.submit_dialog(ticket, form, actor=request.user, customer=True),
        done=lambda step: (
            _("Thank you; your answer was saved."),
            reverse("customer:ticket", args=[ticket.pk]),
        ),
        render=lambda form, *, status=200, error=None: render(
            request,
            "customer_portal/processes/dialog.html",
            {
                "form": form,
                "process": found.process,
                "dialog": dialog,
                "ticket": ticket,
                "moved": moved,
            },
            status=status,
        ),
    )


def ticket_dialogs(ticket) -> list[ActivityDialog]:
    """The dialogs the customer's ticket offers customers now (the ticket page's links)."""
    found = TicketProcess.objects.select_related("activity").filter(ticket=ticket).first()
    return engine.offered_dialogs(found, customer=True)
