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
    Definition(
        "ticket_merge_field_values",
        _("Field values a merge copies"),
        _(
            "Which custom field values a merge copies to the main ticket where it has none: "
            "none, the fields marked “copy on merge”, or all."
        ),
        _("Tickets"),
        "TICKET_MERGE_FIELD_VALUES",
        kind="choice",
        choices=(
            ("off", _("none")),
            ("marked", _("fields marked “copy on merge”")),
            ("all", _("all fields")),
        ),
    ),
    Definition(
        "search_count_cap",
        _("Search result count"),
        _(
            "A ticket search counts its results up to this many and shows “more than” beyond; "
            "counting every match of a broad search costs more than the page itself."
        ),
        _("Tickets"),
        "SEARCH_COUNT_CAP",
        minimum=100,
        maximum=1_000_000,
        unit=_("tickets"),
    ),
]
