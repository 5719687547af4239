"""Merging a ticket into another one (with a preview of what moves) and taking it back out."""

from __future__ import annotations

from django.urls import path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions, selectors
from ..forms.merge import MergeForm, UnmergeForm
from .ticket_screen import acl_action, ticket_page, ticket_screen

TEMPLATES = "tickets/screens/"
RW = PermissionKey.RW


def _data(request):
    return (request.POST, request.FILES) if request.method == "POST" else ()


@agent_required
@acl_action("merge")
def merge(request, pk):
    """Step one asks for the number; a valid number shows the preview (same URL, the form
    now carrying ``confirm``); the confirming POST merges."""
    ticket = access.get_or_404(request.user, pk, RW)
    form = MergeForm(*_data(request), ticket=ticket, user=request.user)
    template = TEMPLATES + "merge.html"
    if request.method != "POST":
        return ticket_page(request, template, ticket, form)
    if not form.is_valid():
        return ticket_page(request, template, ticket, form, status=400)
    target = form.cleaned_data["number"]
    # Read only when shown: a successful merge redirects without it.
    preview = SimpleLazyObject(lambda: selectors.merge_preview(ticket, target, request.user))
    if not form.cleaned_data["confirm"]:
        return ticket_page(request, template, ticket, form, preview=preview)

    def act(data):
        # The action locks both tickets (in id order) before it takes OTRS's RequiredLock
        # on this one, so that two opposite merges cannot deadlock.
        return actions.merge_tickets(
            ticket,
            target,
            actor=request.user,
            expected_version=form.expected_version(),
            lock_if_unlocked=True,
        )

    return ticket_screen(
        request,
        ticket,
        form,
        template,
        act,
        done=lambda _record: (
            _("Ticket %(source)s merged into ticket %(target)s.")
            % {"source": ticket.number, "target": target.number}
        ),
        preview=preview,
    )


@agent_required
@acl_action("unmerge")
def unmerge(request, pk):
    ticket = access.get_or_404(request.user, pk, RW)
    form = UnmergeForm(*_data(request), ticket=ticket)
    return ticket_screen(
        request,
        ticket,
        form,
        TEMPLATES + "unmerge.html",
        lambda data: actions.unmerge_ticket(
            ticket, actor=request.user, expected_version=form.expected_version()
        ),
        done=lambda _source: (
            _("Ticket %(number)s taken out of the merge.") % {"number": ticket.number}
        ),
        preview=selectors.unmerge_preview(ticket, request.user),
    )


urlpatterns = [
    path("tickets/<int:pk>/merge/", merge, name="merge"),
    path("tickets/<int:pk>/unmerge/", unmerge, name="unmerge"),
]
