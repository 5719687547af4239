"""Panels that other apps add to the new-ticket screens (the agent's new phone and email
ticket, the customer portal's new ticket).

The tickets app knows no app above it in the import layers (the CMDB is one), so those apps
register a :class:`CreatePanel` here at ``ready()``: the form fields it adds (for whom the
ticket is, as far as the form knows yet) and what it does with their values once the ticket
exists, inside the same transaction as the ticket's creation, so a refusal leaves nothing
behind. The fields are named ``<key>-<name>`` on the screen's own form, so they are parsed,
validated and shown again with their errors like the form's own.

Without JavaScript, an agent who typed the customer submits the form with the panels'
refresh button (:data:`REFRESH`): the screen comes back with the panels filled for that
customer, nothing created.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms

#: The submit button that shows the form again with the panels filled for the customer typed.
REFRESH = "panels_refresh"


@dataclass(frozen=True)
class Requester:
    """For whom the new ticket is: a customer user's login and the customer id."""

    customer_user: str
    customer_id: str


@dataclass(frozen=True)
class CreatePanel:
    """One app's part of a new-ticket screen.

    ``fields(user, requester)`` returns the fields to add (none: the panel is not shown);
    ``user`` is who fills the form (an agent or a customer), ``requester`` the customer the
    ticket is for, or ``None`` while it is unknown. ``apply(ticket, values, actor)`` gets the
    cleaned values by field name once the ticket exists and may raise
    :class:`otrs.errors.DomainError` (everything is rolled back). ``template`` renders the
    panel on the agent's screens (context: ``panel``, a :class:`ShownPanel`).
    """

    key: str
    legend: Any
    fields: Callable[[Any, Requester | None], dict[str, forms.Field]]
    apply: Callable[[Any, dict, Any], None]
    template: str = "tickets/create/_panel.html"
    order: int = 50


@dataclass
class ShownPanel:
    """A panel as one form shows it: its fields, bound to that form."""

    panel: CreatePanel
    names: list[str] = field(default_factory=list)
    form: forms.Form | None = None

    @property
    def bound_fields(self) -> list[forms.BoundField]:
        assert self.form is not None
        return [self.form[name] for name in self.names]


_panels: dict[str, CreatePanel] = {}


def register(panel: CreatePanel) -> None:
    """Add ``panel`` (at ``AppConfig.ready()``); registering a key again replaces it."""
    _panels[panel.key] = panel


def unregister(key: str) -> None:
    _panels.pop(key, None)


def registered() -> list[CreatePanel]:
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))


def attach(form: forms.Form, *, user, requester: Requester | None) -> list[ShownPanel]:
    """Add every registered panel's fields to ``form``; returns the panels that have any."""
    shown = []
    for panel in registered():
        fields = panel.fields(user, requester)
        if not fields:
            continue
        names = []
        for name, form_field in fields.items():
            full = f"{panel.key}-{name}"
            form.fields[full] = form_field
            names.append(full)
        shown.append(ShownPanel(panel, names, form))
    return shown


def apply(shown: list[ShownPanel], ticket, cleaned_data: dict, *, actor) -> None:
    """Hand each shown panel its cleaned values for the new ``ticket``; call it inside the
    transaction that made the ticket."""
    for item in shown:
        prefix = f"{item.panel.key}-"
        values = {name.removeprefix(prefix): cleaned_data.get(name) for name in item.names}
        item.panel.apply(ticket, values, actor)


def is_refresh(request) -> bool:
    return request.method == "POST" and REFRESH in request.POST
