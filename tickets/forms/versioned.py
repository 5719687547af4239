"""The base of every ticket form: it carries the ticket's version as the agent saw it.

The hidden field ``seen`` holds :func:`tickets.actions.ticket_version` of the ticket when the
form was opened; the screen passes it to the action as ``expected_version``, and the action
checks it inside its row lock (see :mod:`tickets.actions.versions`). When the action answers
with an :class:`~tickets.actions.EditConflict`, :meth:`VersionedForm.show_conflict` makes the
form carry the current version, so that a second submit knowingly applies the change.

A form that serves both before and after its ticket exists (a process's activity dialogs:
the start dialog creates the ticket) takes :class:`CarriesVersion` and
:func:`add_version_field` instead.
"""

from __future__ import annotations

from typing import Any

from django import forms

from ..actions import EditConflict, ticket_version
from ..models import Ticket

FIELD = "seen"


def add_version_field(form: forms.Form, ticket: Ticket) -> None:
    """Give ``form`` the hidden field with ``ticket``'s version as it is now."""
    form.fields[FIELD] = forms.CharField(
        widget=forms.HiddenInput, required=False, initial=ticket_version(ticket)
    )


class CarriesVersion:
    """What a form with the version field (:func:`add_version_field`) answers."""

    data: Any

    def expected_version(self) -> str:
        """The version the agent saw, for the action (missing: older than any change)."""
        return self.data.get(FIELD) or ""

    def show_conflict(self, conflict: EditConflict) -> None:
        """After the action refused with ``conflict``: carry the current version."""
        # Bound data is a QueryDict or a dict: both have copy().
        data = self.data.copy()
        data[FIELD] = conflict.version
        self.data = data


class VersionedForm(CarriesVersion, forms.Form):
    """Base for ticket forms: carries the version the agent saw."""

    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ticket: Ticket, **kwargs):
        self.ticket = ticket
        super().__init__(*args, **kwargs)
        self.fields[FIELD].initial = ticket_version(ticket)
