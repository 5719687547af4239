"""The history of a customer user or a company, for the Customer Information Center: each
entry's changes as sentences' parts in the reader's language (labels translated when shown,
custom fields by their label and the labels of their values; history rows keep raw values).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs.fields.models import FieldDefinition

from .events import CustomerEvent
from .models import CustomerCompany, CustomerHistory

# How many entries a CIC page shows, newest first.
SHOWN = 20
FIELD_PREFIX = "field:"

_ATTRIBUTES = {
    "login": _("Login"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("Email"),
    "phone": _("Phone"),
    "company_id": _("Company"),
    "other_company_ids": _("Further companies"),
    "is_valid": _("Validity"),
    "password": _("Password"),
    "customer_id": _("Customer ID"),
    "name": _("Name"),
    "street": _("Street"),
    "zip_code": _("Zip code"),
    "city": _("City"),
    "country": _("Country"),
    "url": _("URL"),
    "comment": _("Comment"),
}
_EVENTS = {
    CustomerEvent.CUSTOMER_USER_ADD: _("Customer user added"),
    CustomerEvent.CUSTOMER_USER_UPDATE: _("Customer user changed"),
    CustomerEvent.CUSTOMER_COMPANY_ADD: _("Company added"),
    CustomerEvent.CUSTOMER_COMPANY_UPDATE: _("Company changed"),
}


@dataclass(frozen=True)
class Change:
    """One changed attribute or custom field: its label, the old and the new value as text
    (``shown``: False for a password, whose values are never stored)."""

    label: str
    old: str
    new: str
    is_field: bool = False
    shown: bool = True


@dataclass(frozen=True)
class Entry:
    history: CustomerHistory
    title: str
    changes: list[Change]


def entries(history) -> list[Entry]:
    """The newest :data:`SHOWN` entries of ``history`` (a queryset of one customer user's or
    company's rows), described: three queries (rows with actors, the fields they name, the
    companies they name), however many entries."""
    rows = list(history.select_related("actor").order_by("-created_at", "-id")[:SHOWN])
    names = {
        key[len(FIELD_PREFIX) :]
        for row in rows
        for key in (row.changes or {})
        if key.startswith(FIELD_PREFIX)
    }
    fields = (
        {
            d.name: d
            for d in FieldDefinition.objects.filter(name__in=names).prefetch_related(
                "possible_values"
            )
        }
        if names
        else {}
    )
    company_ids: set[int] = set()
    for row in rows:
        for key in ("company_id", "other_company_ids"):
            for value in (row.changes or {}).get(key) or []:
                company_ids.update(_ids(value))
    companies = (
        dict(CustomerCompany.objects.filter(pk__in=company_ids).values_list("pk", "name"))
        if company_ids
        else {}
    )
    return [
        Entry(row, str(_EVENTS.get(row.event, row.event)), _changes(row, fields, companies))
        for row in rows
    ]


def _ids(value) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int)]


def _changes(row: CustomerHistory, fields: dict, companies: dict) -> list[Change]:
    found = []
    for key, pair in (row.changes or {}).items():
        old, new = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
        if key.startswith(FIELD_PREFIX):
            name = key[len(FIELD_PREFIX) :]
            definition = fields.get(name)
            label = definition.display_label() if definition is not None else name
            found.append(
                Change(label, _field_text(definition, old), _field_text(definition, new), True)
            )
        elif key == "password":
            found.append(Change(str(_ATTRIBUTES[key]), "", "", shown=False))
        else:
            label = str(_ATTRIBUTES.get(key, key))
            before, after = _text(key, old, companies), _text(key, new, companies)
            if before or after:  # a new customer's empty attributes say nothing
                found.append(Change(label, before, after))
    # Attributes first, then the custom fields, each in a stable order.
    return sorted(found, key=lambda c: (c.is_field, c.label.casefold()))


def _field_text(definition: FieldDefinition | None, raw) -> str:
    """A stored value (the type's text form) as the field shows it: the labels of dropdown
    and multiselect keys in the reader's language; as stored when the field is gone or the
    value no longer parses."""
    text = "" if raw is None else str(raw)
    if definition is None or not text:
        return text
    try:
        return definition.type.render(definition, definition.type.parse(definition, text))
    except (ValidationError, ValueError, TypeError):
        return text


def _text(key: str, value, companies: dict) -> str:
    if value is None or value == "" or value == []:
        return ""
    if key == "is_valid":
        return gettext("valid") if value else gettext("invalid")
    if key in ("company_id", "other_company_ids"):
        return ", ".join(companies.get(pk, f"#{pk}") for pk in _ids(value))
    return str(value)
