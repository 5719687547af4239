"""Linking a ticket with another one, and removing a link."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions
from ..forms.links import LinkForm, UnlinkForm
from .ticket_screen import acl_action, ticket_screen

TEMPLATES = "tickets/screens/"
RW = PermissionKey.RW


def _data(request):
    return (request.POST, request.FILES) if request.method == "POST" else ()


@agent_required
@acl_action("link")
def link(request, pk):
    ticket = access.get_or_404(request.user, pk, RW)
    form = LinkForm(*_data(request), ticket=ticket, user=request.user)

    def act(data):
        # A link adds and overwrites nothing: no edit conflict.
        actions.link_tickets(
            data["source"], data["target"], data["type"], actor=request.user, acting_on=ticket
        )
        return data["number"]

    return ticket_screen(
        request,
        ticket,
        form,
        TEMPLATES + "link.html",
        act,
        done=lambda other: _("Linked with ticket %(number)s.") % {"number": other.number},
    )


@agent_required
@require_POST
@acl_action("link")
def unlink(request, pk):
    """POST only (a button on the zoom, which sends ``other`` and ``seen``); the page is shown
    only when the form has to come back (a conflict or an error)."""
    ticket = access.get_or_404(request.user, pk, RW)
    form = UnlinkForm(*_data(request), ticket=ticket, user=request.user)

    def act(data):
        actions.unlink_tickets(
            ticket, data["other"], actor=request.user, expected_version=form.expected_version()
        )
        return data["other"]

    return ticket_screen(
        request,
        ticket,
        form,
        TEMPLATES + "unlink.html",
        act,
        done=lambda other: _("Link with ticket %(number)s removed.") % {"number": other.number},
    )


urlpatterns = [
    path("tickets/<int:pk>/link/", link, name="link"),
    path("tickets/<int:pk>/unlink/", unlink, name="unlink"),
]
