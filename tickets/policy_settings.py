"""Ticket policy settings the admin edits (see :mod:`otrs.policy`)."""

from django.utils.translation import gettext_lazy as _

from otrs.policy import Definition

settings = [
    Definition(
        "ticket_time_units",
        _("Time units"),
        _("The time spent with notes, calls and replies: no field, optional or required."),
        _("Tickets"),
        "TICKET_TIME_UNITS",
        kind="choice",
        choices=(
            ("off", _("no field")),
            ("optional", _("optional")),
            ("required", _("required")),
        ),
    ),
]
