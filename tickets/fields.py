"""The ticket side of the custom-field engine (:mod:`otrs.fields`): the object types ``ticket``
and ``article``, the ticket screens that can show fields, and the helpers the screens use.

Registered from :meth:`tickets.apps.TicketsConfig.ready`. A ticket's values are written by
:func:`tickets.actions.custom_fields.set_field_values` (row lock, permission, history
``TicketDynamicFieldUpdate``, event); the engine hands ``otrs.fields.actions.set_field_values``
calls for tickets to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from otrs.fields import registry
from otrs.fields.models import FieldDefinition
from otrs.fields.registry import ObjectType, Screen, ScreenMode
from otrs.fields.selectors import definitions, rendered, values_for

TICKET = "ticket"
ARTICLE = "article"
# Form fields of custom fields are named with this prefix, so they never clash with a form's own.
PREFIX = "field_"


class TicketScreen:
    """The ticket screens that can show custom fields (keys kept in definitions)."""

    PHONE_TICKET = "phone_ticket"
    EMAIL_TICKET = "email_ticket"
    NOTE = "note"
    CLOSE = "close"
    PENDING = "pending"
    FREE_FIELDS = "free_fields"
    BULK = "bulk"
    CUSTOMER_NEW_TICKET = "customer_new_ticket"
    CUSTOMER_TICKET = "customer_ticket"
    ZOOM = "zoom"
    QUEUE_LIST = "queue_list"
    SEARCH_LIST = "search_list"


TICKET_SCREENS = (
    Screen(TicketScreen.PHONE_TICKET, _("New phone ticket")),
    Screen(TicketScreen.EMAIL_TICKET, _("New email ticket")),
    Screen(TicketScreen.NOTE, _("Note")),
    Screen(TicketScreen.CLOSE, _("Close")),
    Screen(TicketScreen.PENDING, _("Pending")),
    Screen(TicketScreen.FREE_FIELDS, _("Free fields")),
    Screen(TicketScreen.BULK, _("Bulk action")),
    Screen(TicketScreen.CUSTOMER_NEW_TICKET, _("Customer portal: new ticket")),
    Screen(TicketScreen.CUSTOMER_TICKET, _("Customer portal: ticket page"), form=False),
    Screen(TicketScreen.ZOOM, _("Ticket zoom"), form=False),
    Screen(TicketScreen.QUEUE_LIST, _("Queue list column"), form=False),
    Screen(TicketScreen.SEARCH_LIST, _("Search list and CSV column"), form=False),
)


def _write_ticket(ticket, values, *, actor, **options):
    # Imported here: the actions import models, which are not ready when this module loads.
    from .actions.custom_fields import set_field_values

    return set_field_values(ticket, values, actor=actor, **options)


def _describe_ticket(ticket) -> str:
    return f"{ticket.number} {ticket.title}"


def register() -> None:
    registry.register_object_type(
        ObjectType(
            key=TICKET,
            label=_("Ticket"),
            model="tickets.Ticket",
            screens=TICKET_SCREENS,
            writer=_write_ticket,
            describe=_describe_ticket,
            lookup_fields=("number",),
        )
    )
    registry.register_object_type(
        ObjectType(key=ARTICLE, label=_("Article"), model="tickets.Article")
    )


# --- for screens ------------------------------------------------------------------------------


def screen_fields(screen: str) -> list[FieldDefinition]:
    return definitions(TICKET, screen=screen)


def shown_values(tickets: Iterable[Any], screen: str, fields=None):
    """Per ticket id, the set fields of ``screen`` rendered (two queries for the definitions,
    one for the values, however many tickets)."""
    fields = screen_fields(screen) if fields is None else fields
    return rendered(TICKET, list(tickets), fields)


def _typed(definition: FieldDefinition, form_field: forms.Field) -> forms.Field:
    """Make ``form_field`` clean to the field type's domain value (a value the type refuses
    is the form field's error, named by the field's label)."""
    plain_clean = form_field.clean

    def clean(value):
        return definition.type.from_form(definition, plain_clean(value))

    form_field.clean = clean  # type: ignore[method-assign]
    return form_field


def add_form_fields(
    form: forms.BaseForm, screen: str, *, ticket=None, fields: list[FieldDefinition] | None = None
) -> list[FieldDefinition]:
    """Add the custom fields ``screen`` shows to ``form`` (named ``field_<Name>``), filled with
    the ticket's values; ``cleaned_data`` then holds domain values, which
    :func:`field_values_from` collects for the action. Returns the definitions."""
    fields = screen_fields(screen) if fields is None else fields
    current = values_for(TICKET, [ticket], fields)[ticket.pk] if ticket is not None else {}
    for definition in fields:
        required = definition.screen_mode(screen) == ScreenMode.REQUIRED
        name = PREFIX + definition.name
        form.fields[name] = _typed(definition, definition.type.formfield(definition, required=required))
        if definition.name in current:
            form.initial[name] = definition.type.to_form(definition, current[definition.name])
    form.custom_fields = fields  # type: ignore[attr-defined]
    return fields


def field_values_from(cleaned_data: dict) -> dict[str, Any]:
    """``{name: value}`` of the custom fields in a form's cleaned data (see add_form_fields)."""
    return {
        key[len(PREFIX) :]: value for key, value in cleaned_data.items() if key.startswith(PREFIX)
    }


def bound_custom_fields(form: forms.BaseForm) -> list[forms.BoundField]:
    return [form[PREFIX + d.name] for d in getattr(form, "custom_fields", [])]
