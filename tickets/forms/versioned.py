"""The base of every ticket form: it carries the ticket's version as the agent saw it.

The hidden field ``seen`` holds :func:`tickets.actions.ticket_version` of the ticket when the
form was opened; the screen passes it to the action as ``expected_version``, and the action
checks it inside its row lock (see :mod:`tickets.actions.versions`). When the action answers
with an :class:`~tickets.actions.EditConflict`, :meth:`VersionedForm.show_conflict` makes the
form carry the current version, so that a second submit knowingly applies the change.
"""

from __future__ import annotations

from django import forms

from ..actions import EditConflict, ticket_version
from ..models import Ticket

FIELD = "seen"


class VersionedForm(forms.Form):
    """Base for ticket forms: carries the version the agent saw."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        self.ticket = ticket
        super().__init__(*args, **kwargs)
        self.fields[FIELD].initial = ticket_version(ticket)

    def expected_version(self) -> str:
        """The version the agent saw, for the action (missing: older than any change)."""
        return self.data.get(FIELD) or ""

    def show_conflict(self, conflict: EditConflict) -> None:
        """After the action refused with ``conflict``: carry the current version."""
        # Bound data is a QueryDict or a dict (both have copy()); the stubs say Mapping.
        data = self.data.copy()  # type: ignore[attr-defined]
        data[FIELD] = conflict.version
        self.data = data
