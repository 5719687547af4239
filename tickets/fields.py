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
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from otrs.fields import forms as field_forms
from otrs.fields import registry
from otrs.fields.forms import PREFIX as PREFIX  # re-exported for the ticket screens
from otrs.fields.forms import field_values_from as field_values_from
from otrs.fields.models import FieldDefinition
from otrs.fields.registry import ObjectType, Screen, ScreenMode
from otrs.fields.selectors import definitions, render_values, rendered, values_for

TICKET = "ticket"
ARTICLE = "article"


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
    # Article screens (fields of the object type "article"): the note, the phone-call and the
    # reply / forward forms set the new article's fields; the zoom shows them under it.
    PHONE_CALL = "phone_call"
    COMPOSE = "compose"


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


ARTICLE_SCREENS = (
    Screen(TicketScreen.PHONE_TICKET, _("New phone ticket: its first article")),
    Screen(TicketScreen.EMAIL_TICKET, _("New email ticket: its first article")),
    Screen(TicketScreen.NOTE, _("Note")),
    Screen(TicketScreen.PHONE_CALL, _("Phone call")),
    Screen(TicketScreen.COMPOSE, _("Reply and forward")),
    Screen(TicketScreen.ZOOM, _("Ticket zoom, under each article"), form=False),
)


def _write_ticket(ticket, values, *, actor, **options):
    # Imported here: the actions import models, which are not ready when this module loads.
    from .actions.custom_fields import set_field_values

    return set_field_values(ticket, values, actor=actor, **options)


def _write_article(article, values, *, actor, **options):
    # Imported here: the actions import models, which are not ready when this module loads.
    from .actions.custom_fields import set_article_field_values

    return set_article_field_values(article, values, actor=actor, **options)


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
        ObjectType(
            key=ARTICLE,
            label=_("Article"),
            model="tickets.Article",
            screens=ARTICLE_SCREENS,
            writer=_write_article,
        )
    )


# --- for screens ------------------------------------------------------------------------------


def screen_fields(screen: str) -> list[FieldDefinition]:
    return definitions(TICKET, screen=screen)


def shown_values(tickets: Iterable[Any], screen: str, fields=None):
    """Per ticket id, the set fields of ``screen`` rendered (two queries for the definitions,
    one for the values, however many tickets)."""
    fields = screen_fields(screen) if fields is None else fields
    return rendered(TICKET, list(tickets), fields)


def add_form_fields(
    form: forms.BaseForm,
    screen: str,
    *,
    ticket=None,
    fields: list[FieldDefinition] | None = None,
    optional: bool = False,
) -> list[FieldDefinition]:
    """Add the custom fields ``screen`` shows to ``form`` (named ``field_<Name>``), filled with
    the ticket's values; ``cleaned_data`` then holds domain values, which
    :func:`field_values_from` collects for the action. Returns the definitions. ``optional``:
    no field is required (the bulk action, where an empty field means "unchanged")."""
    fields = screen_fields(screen) if fields is None else fields
    return field_forms.add_form_fields(
        form,
        TICKET,
        screen,
        object_id=ticket.pk if ticket is not None else None,
        fields=fields,
        optional=optional,
    )


def ticket_values_from(form: forms.BaseForm, cleaned_data: dict) -> dict[str, Any]:
    """The ticket's custom-field values of a form that may also carry article fields."""
    return field_forms.values_of(cleaned_data, getattr(form, "custom_fields", []))


# --- article fields ---------------------------------------------------------------------------


def add_article_form_fields(form: forms.BaseForm, screen: str) -> list[FieldDefinition]:
    """Add the article fields ``screen`` takes (a new article's: empty) to ``form``; kept in
    ``form.article_fields``, apart from the ticket's (``form.custom_fields``)."""
    return field_forms.add_form_fields(
        form,
        ARTICLE,
        screen,
        fields=definitions(ARTICLE, screen=screen),
        attribute="article_fields",
    )


def article_values_from(form: forms.BaseForm, cleaned_data: dict) -> dict[str, Any]:
    """The new article's custom-field values (set ones only) of a form."""
    values = field_forms.values_of(cleaned_data, getattr(form, "article_fields", []))
    return {name: value for name, value in values.items() if value not in (None, "", [], ())}


def annotate_article_fields(articles: list[Any]) -> None:
    """Set ``custom_fields`` on every article: its set fields the zoom shows, rendered (one
    query for the values of all articles, none when no article field is shown)."""
    fields = definitions(ARTICLE, screen=TicketScreen.ZOOM)
    shown = rendered(ARTICLE, articles, fields) if fields and articles else {}
    for article in articles:
        article.custom_fields = shown.get(article.pk, [])


def changed_values_from(cleaned_data: dict) -> dict[str, Any]:
    """Like :func:`field_values_from`, without the fields left empty (the bulk action: empty
    means "unchanged", so an unticked checkbox or an empty choice changes nothing)."""
    return {
        name: value
        for name, value in field_values_from(cleaned_data).items()
        if value not in (None, "", [], (), False)
    }


def bound_custom_fields(form: forms.BaseForm) -> list[forms.BoundField]:
    return [form[PREFIX + d.name] for d in getattr(form, "custom_fields", [])]


def annotate_columns(
    tickets: list[Any], screen: str, *, among: list[FieldDefinition] | None = None
) -> list[FieldDefinition]:
    """For a list screen (queue list, search list): set ``field_cells`` on every ticket (the
    rendered values of the screen's fields, in column order; "" when unset) and return the
    column definitions (``among``: the valid ticket fields, if the caller has them already).
    Constant queries whatever the page size."""
    if among is None:
        fields = screen_fields(screen)
    else:
        fields = [d for d in among if d.screen_mode(screen) != ScreenMode.OFF]
    tickets = list(tickets)
    values = values_for(TICKET, tickets, fields) if fields else {}
    texts = render_values(values, fields)
    for ticket in tickets:
        found = texts.get(ticket.pk, {})
        ticket.field_cells = [found.get(d.name, "") for d in fields]
    return fields


def export_cells(tickets: list[Any], fields: list[FieldDefinition]) -> dict[int, list[str]]:
    """CSV cells of ``fields`` per ticket id: raw values as text (keys, ISO dates)."""
    values = values_for(TICKET, tickets, fields) if fields else {}
    return {
        t.pk: [
            d.type.to_text(d, values[t.pk][d.name]) if d.name in values.get(t.pk, {}) else ""
            for d in fields
        ]
        for t in tickets
    }


# --- search -----------------------------------------------------------------------------------

SEARCH_PREFIX = "df_"


def _operator_labels() -> dict[str, Any]:
    return {
        "equals": _("is"),
        "in": _("is one of (comma-separated)"),
        "range": _("between"),
        "contains": _("contains"),
        "prefix": _("starts with"),
        "empty": _("is empty"),
        "not_empty": _("is not empty"),
    }


def add_search_fields(form: forms.BaseForm) -> list[FieldDefinition]:
    """Search criteria for every valid ticket field (GET parameters, so a saved search keeps
    them): ``df_<Name>_op`` the operator, ``df_<Name>`` the value (the possible values to pick
    from for dropdowns and multiselects), ``df_<Name>_from`` / ``_to`` for ranges."""
    fields = definitions(TICKET)
    labels = _operator_labels()
    for definition in fields:
        base = SEARCH_PREFIX + definition.name
        field_type = definition.type
        operators = [
            op for op in field_type.operators if not (field_type.has_options and op == "in")
        ]
        form.fields[base + "_op"] = forms.ChoiceField(
            label=_("%(field)s: condition") % {"field": definition.display_label()},
            choices=[("", "—"), *((op, labels[op]) for op in operators)],
            required=False,
        )
        if field_type.has_options:
            form.fields[base] = forms.MultipleChoiceField(
                label=definition.display_label(),
                choices=field_type.choices(definition),  # type: ignore[attr-defined]
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        else:
            form.fields[base] = forms.CharField(
                label=definition.display_label(), required=False, max_length=255
            )
        if "range" in field_type.operators:
            form.fields[base + "_from"] = forms.CharField(
                label=_("%(field)s from") % {"field": definition.display_label()},
                required=False,
                max_length=40,
            )
            form.fields[base + "_to"] = forms.CharField(
                label=_("%(field)s until") % {"field": definition.display_label()},
                required=False,
                max_length=40,
            )
    form.search_fields = fields  # type: ignore[attr-defined]
    return fields


def search_conditions(form: forms.BaseForm) -> tuple[tuple[FieldDefinition, str, Any], ...]:
    """The custom-field conditions of a search form after ``is_valid()``: values parsed by
    their type; a value the type refuses becomes that field's form error (and the form then
    is invalid, so the page shows it)."""
    data = form.cleaned_data
    found: list[tuple[FieldDefinition, str, Any]] = []
    for definition in getattr(form, "search_fields", []):
        base = SEARCH_PREFIX + definition.name
        operator = data.get(base + "_op") or ""
        raw = data.get(base)
        low_text, high_text = data.get(base + "_from") or "", data.get(base + "_to") or ""
        parse = definition.type.parse
        try:
            if operator in ("empty", "not_empty"):
                found.append((definition, operator, None))
            elif definition.type.has_options:
                if raw:
                    found.append((definition, "in", list(raw)))
            elif operator == "range" or (not operator and (low_text or high_text)):
                low = parse(definition, low_text) if low_text else None
                high = parse(definition, high_text) if high_text else None
                if low is not None or high is not None:
                    found.append((definition, "range", (low, high)))
            elif raw:
                if operator in ("contains", "prefix"):
                    found.append((definition, operator, raw.strip()))
                elif operator == "in":
                    values = [parse(definition, part) for part in raw.split(",") if part.strip()]
                    found.append((definition, "in", values))
                elif not operator and definition.field_type in ("text", "textarea"):
                    found.append((definition, "contains", raw.strip()))
                else:
                    found.append((definition, "equals", parse(definition, raw)))
        except ValidationError as exc:
            form.add_error(base if base in form.fields else None, exc)
    return tuple(found)
