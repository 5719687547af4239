"""Edit conflicts: a form submitted for a ticket that changed since the agent opened it.

Every ticket form carries the ticket's version as the agent saw it (a hidden field named
``seen``: ``changed_at`` as a timestamp in microseconds). On submit, :func:`changes_since`
returns what others changed since then; if there is anything, the view does not act but shows
the form again with those changes (as history sentences) and the current version, so that a
second submit knowingly applies the agent's change on top.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .history import describe
from .models import Ticket, TicketHistory

FIELD = "seen"


def version(ticket: Ticket) -> str:
    return str(int(ticket.changed_at.timestamp() * 1_000_000))


def _parse(raw: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw) / 1_000_000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def changes_since(ticket: Ticket, seen: str | None, user) -> list[tuple[TicketHistory, str]]:
    """History sentences of changes by *others* after the version ``seen``; empty when the
    form is current. A missing or garbled version counts as "opened before everything"."""
    seen_at = _parse(seen)
    if seen_at is not None and ticket.changed_at <= seen_at:
        return []
    entries = TicketHistory.objects.filter(ticket=ticket).exclude(actor=user)
    if seen_at is not None:
        entries = entries.filter(created_at__gt=seen_at)
    entries = entries.select_related("actor").order_by("created_at", "id")[:50]
    return describe(entries)


class VersionedForm(forms.Form):
    """Base for ticket forms: carries the version the agent saw."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        self.ticket = ticket
        super().__init__(*args, **kwargs)
        self.fields[FIELD].initial = version(ticket)

    def conflicts(self, user) -> list[tuple[TicketHistory, str]]:
        """Call after is_valid(). If it returns changes, re-render: the form now carries the
        current version, so the next submit goes through."""
        changes = changes_since(self.ticket, self.data.get(FIELD), user)
        if changes:
            data = self.data.copy()
            data[FIELD] = version(self.ticket)
            self.data = data
            self.add_error(
                None,
                _(
                    "This ticket changed since you opened it. Check the changes below, then "
                    "submit again to apply yours."
                ),
            )
        return changes
