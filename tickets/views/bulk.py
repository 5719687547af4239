"""The bulk action on tickets selected in a list.

Step 1: a list posts the checked ``ticket`` ids and ``next`` (the list to return to); the
form shows the selected tickets the agent may see. Step 2: the form posts back with
``step=apply``; :func:`tickets.actions.bulk_change` changes each ticket on its own and the
agent returns to the list with a summary: how many changed, which were skipped and why.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from otrs.web.links import local_path
from tickets import actions
from tickets.actions import BulkResult
from tickets.automation import acl
from tickets.forms.bulk import BulkForm, selected_tickets


@agent_required
@require_http_methods(["GET", "HEAD", "POST"])
def bulk(request):
    if request.method != "POST":
        # A bookmark, a reload after the session ended, a typed address: the tickets are
        # chosen in a list, so that is where the agent goes, told how.
        hint = _("Select tickets in a list, then choose “Bulk action on selected tickets”.")
        messages.info(request, hint)
        return redirect("agent:queues")
    back = _next_url(request)
    tickets = selected_tickets(request.user, request.POST.getlist("ticket"))
    if not tickets:
        messages.warning(request, _("Select at least one ticket for the bulk action."))
        return redirect(back)
    try:
        # The bulk action is refused as a whole if an ACL takes it away on any ticket.
        acl.check_action("bulk", user=request.user, tickets=tickets)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    applying = request.POST.get("step") == "apply"
    form = BulkForm(request.user, tickets, request.POST if applying else None)
    acl.restrict_form(form, user=request.user, screen="bulk", tickets=tickets)
    if applying and form.is_valid():
        _report(request, actions.bulk_change(tickets, form.changes(), actor=request.user))
        return redirect(back)
    context = {"form": form, "tickets": tickets, "next": back}
    return render(request, "tickets/bulk/form.html", context, status=400 if applying else 200)


def _next_url(request) -> str:
    """Where the list was (a path on this site), else the dashboard."""
    return local_path(request, request.POST.get("next", ""), reverse("agent:dashboard"))


def _report(request, result: BulkResult) -> None:
    """A summary ("7 tickets changed; 2 skipped:"), then a line per skipped ticket and why."""
    changed, skipped = len(result.changed), len(result.skipped)
    if not skipped:
        text = ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", changed)
        messages.success(request, text % {"count": changed})
        return
    text = ngettext(
        "%(count)d ticket changed; %(skipped)d skipped:",
        "%(count)d tickets changed; %(skipped)d skipped:",
        changed,
    )
    messages.warning(request, text % {"count": changed, "skipped": skipped})
    for ticket, reason in result.skipped:
        messages.warning(
            request, _("%(number)s: %(reason)s") % {"number": ticket.number, "reason": reason}
        )


urlpatterns = [
    path("bulk/", bulk, name="bulk"),
]
