"""The columns of the agent's ticket lists, chosen and ordered by each agent.

Three overviews have columns of their own: the queue view, the other ticket lists (status
views, locked, watched, responsible, mentioned) and the search results. An agent picks
and orders them on the preferences page (:class:`tickets.agent_preferences.ColumnPreferences`);
the choice is kept on the user (``User.list_columns``, loaded with the session's user, so a
list costs no query for it). Ticket custom fields are columns too, as ``field:<name>``.
Without a choice, a list shows :data:`DEFAULT` and the custom fields its screen shows.

Every column is read from what the list's query loads already (``_ROW_RELATED`` in
:mod:`tickets.selectors`) or, for custom fields, from one query for all rows, so the query
count of a list does not depend on the columns nor on the page size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from otrs.fields.models import FieldDefinition
from otrs.fields.selectors import definitions, render_values, values_for

from . import fields as ticket_fields

QUEUE, LISTS, SEARCH = "queue", "lists", "search"
OVERVIEWS: dict[str, Promise] = {
    QUEUE: _("Queue view"),
    LISTS: _("Status view and my ticket lists"),
    SEARCH: _("Search results"),
}
# The custom-field screen whose fields a list shows by default.
_SCREENS = {
    QUEUE: ticket_fields.TicketScreen.QUEUE_LIST,
    LISTS: ticket_fields.TicketScreen.QUEUE_LIST,
    SEARCH: ticket_fields.TicketScreen.SEARCH_LIST,
}
FIELD = "field:"


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a (lazily) translated string, or a custom field's label
    sort: str = ""  # the list's sort key, if it can be sorted by this column
    field: FieldDefinition | None = None


BUILTIN = (
    Column("number", _("Ticket#"), "number"),
    Column("age", _("Age"), "age"),
    Column("changed", _("Changed")),
    Column("title", _("Title")),
    Column("state", _("State"), "state"),
    Column("priority", _("Priority"), "priority"),
    Column("queue", _("Queue")),
    Column("owner", _("Owner")),
    Column("customer", _("Customer")),
    Column("customer_id", _("Customer ID")),
)
DEFAULT = ("number", "age", "title", "state", "priority", "queue", "owner", "customer")
# A row must keep a link to its ticket: one of these is always chosen.
LINKS = ("number", "title")


def available() -> list[Column]:
    """Every column an agent may choose: the built-in ones, then the valid ticket fields."""
    custom = [
        Column(f"{FIELD}{d.name}", d.display_label(), field=d)
        for d in definitions(ticket_fields.TICKET)
    ]
    return [*BUILTIN, *custom]


def chosen(user, overview: str, *, among: list[FieldDefinition] | None = None) -> list[Column]:
    """The columns of ``overview`` for ``user``, in order. Keys of fields since removed are
    skipped. Without a choice: :data:`DEFAULT` and the screen's fields (``among``: the
    fields the caller has loaded already, such as the search form's)."""
    keys = (getattr(user, "list_columns", None) or {}).get(overview)
    if not keys:
        if among is None:
            fields = ticket_fields.screen_fields(_SCREENS[overview])
        else:
            fields = [
                d
                for d in among
                if d.screen_mode(_SCREENS[overview]) != ticket_fields.ScreenMode.OFF
            ]
        by_key = {c.key: c for c in BUILTIN}
        return [by_key[k] for k in DEFAULT] + [
            Column(f"{FIELD}{d.name}", d.display_label(), field=d) for d in fields
        ]
    by_key = {c.key: c for c in available()}
    return [by_key[k] for k in keys if k in by_key]


def annotate(tickets: list[Any], columns: list[Column]) -> list[Column]:
    """Give every ticket ``cells``: (key, custom-field text) per column, in order (the
    template renders the built-in ones from the ticket). One query for the custom fields of
    all rows, none without custom-field columns. Returns ``columns``."""
    fields = [c.field for c in columns if c.field is not None]
    values = values_for(ticket_fields.TICKET, tickets, fields) if fields else {}
    texts = render_values(values, fields) if fields else {}
    for ticket in tickets:
        found = texts.get(ticket.pk, {})
        ticket.cells = [
            (c.key, found.get(c.field.name, "") if c.field is not None else "") for c in columns
        ]
    return columns


def save_choice(user, choice: dict[str, list[str]]) -> None:
    """Keep ``user``'s columns per overview (an empty list: back to the default)."""
    user.list_columns = {key: list(keys) for key, keys in choice.items() if keys}
    user.save(update_fields=["list_columns"])
