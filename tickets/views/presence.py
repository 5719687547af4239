"""Collision detection: who else is on a ticket, and whether it changed since the page opened.

The zoom and the composer render :func:`presence_context` into their ``#presence`` region
(no query: presence lives in the cache, see :mod:`tickets.presence`); with JavaScript the
page renews it by posting the region's own form to :func:`presence` every few seconds and
swapping in the answer. That answer also lists what others changed since the version the
page shows, so an agent writing a reply learns that a colleague answered before sending (the
send itself is still checked by the action: an edit conflict).
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, history
from .. import presence as presence_store
from ..actions.versions import changes_since
from ..forms.presence import PresenceForm
from ..models import Ticket

PARTIAL = "tickets/zoom/_presence.html"


def presence_context(request, ticket: Ticket, activity: str, *, seen: str = "") -> dict:
    """Note the agent on ``ticket`` and say who else is there. ``seen``: the version the
    page shows, if the changes since then are wanted (one query, only if it changed)."""
    presence_store.note(ticket.pk, request.user, activity)
    changes = changes_since(ticket, seen, request.user) if seen else []
    return {
        "present": presence_store.others(ticket.pk, request.user),
        "presence_activity": activity,
        "presence_changes": history.describe(changes),
        "presence_poll": presence_store.poll_seconds(),
    }


@agent_required
@require_POST
def presence(request, pk: int):
    ticket = access.get_or_404(request.user, pk, PermissionKey.RO)
    activity, seen = PresenceForm(request.POST).activity_and_seen()
    context = presence_context(request, ticket, activity, seen=seen)
    return render(request, PARTIAL, {"ticket": ticket, "presence_seen": seen, **context})


urlpatterns = [
    path("tickets/<int:pk>/presence/", presence, name="presence"),
]
