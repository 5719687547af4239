"""The ticket's attributes in the condition language (:mod:`otrs.conditions`).

:func:`ticket_schema` names what a rule may test on a ticket: every criterion of the agent
search (number, title, customer, queue, state, state type, priority, owner, created and
changed times) and more (type, service, SLA, lock, responsible, pending time, the
escalation state of each clock, every valid ticket custom field as ``field:<Name>``);
:func:`ticket_facts` reads those values from one ticket, so that a rule evaluated on one
ticket (:func:`otrs.conditions.matches`) and compiled for a selection
(:func:`otrs.conditions.to_q`) mean the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.conditions import Attribute, Kind, Op, Schema, attributes_in
from otrs.fields.models import FieldDefinition, FieldValue
from otrs.fields.selectors import definitions, values_for

from ..choices import LockState, StateType
from ..fields import TICKET
from ..models import SLA, Priority, Queue, Service, State, Ticket, TicketType

FIELD_PREFIX = "field:"

# The escalation state of one clock at a moment: no target, counting towards it, past it.
ESCALATION_NONE = "none"
ESCALATION_RUNNING = "running"
ESCALATION_ESCALATED = "escalated"
ESCALATION_STATES = (
    (ESCALATION_NONE, _("none")),
    (ESCALATION_RUNNING, _("running")),
    (ESCALATION_ESCALATED, _("escalated")),
)
# Attribute name -> the ticket's column of that clock (escalation: the earliest of them).
ESCALATION_COLUMNS = {
    "escalation": "escalation_at",
    "escalation_response": "escalation_response_at",
    "escalation_update": "escalation_update_at",
    "escalation_solution": "escalation_solution_at",
}


def _named(model) -> Any:
    def choices() -> list[tuple[int, str]]:
        return list(model.objects.order_by("pk").values_list("pk", "name"))

    return choices


def _queues() -> list[tuple[int, str]]:
    return list(Queue.objects.order_by("full_name").values_list("pk", "full_name"))


def _users() -> list[tuple[int, str]]:
    users = User.objects.filter(kind__in=[UserKind.AGENT, UserKind.SYSTEM]).order_by("username")
    return list(users.values_list("pk", "username"))


def escalation_state(due: datetime | None, now: datetime) -> str:
    if due is None:
        return ESCALATION_NONE
    return ESCALATION_ESCALATED if due <= now else ESCALATION_RUNNING


def _escalation_q(column: str):
    def condition(state: str, now: datetime) -> Q:
        if state == ESCALATION_NONE:
            return Q(**{f"{column}__isnull": True})
        if state == ESCALATION_ESCALATED:
            return Q(**{f"{column}__lte": now})
        return Q(**{f"{column}__gt": now})

    def q(op: Op, value: Any, now: datetime) -> Q:
        states = [value] if op == Op.EQUALS else list(value)
        found = Q(pk__in=[])
        for state in states:
            found |= condition(state, now)
        return found

    return q


# --- custom fields ----------------------------------------------------------------------------

_FIELD_KINDS = {
    "text": Kind.TEXT,
    "textarea": Kind.TEXT,
    "dropdown": Kind.CHOICE,
    "multiselect": Kind.CHOICE,
    "checkbox": Kind.CHOICE,
    "integer": Kind.NUMBER,
    "decimal": Kind.NUMBER,
    "datetime": Kind.DATETIME,
}


def _field_q(definition: FieldDefinition, kind: Kind):
    column = definition.type.column

    def stored(value: Any) -> Any:
        return value if definition.type.multiple else definition.type.to_db(value)[0]

    def q(op: Op, value: Any, now: datetime) -> Q:
        rows = FieldValue.objects.filter(field=definition)
        if op in (Op.EMPTY, Op.NOT_EMPTY):
            found = Q(pk__in=rows.values("object_id"))
            return ~found if op == Op.EMPTY else found
        text = kind == Kind.TEXT
        if op == Op.EQUALS:
            rows = rows.filter(**{f"{column}__iexact" if text else column: stored(value)})
        elif op == Op.IN:
            if text:
                any_of = Q(pk__in=[])
                for item in value:
                    any_of |= Q(**{f"{column}__iexact": item})
                rows = rows.filter(any_of)
            else:
                rows = rows.filter(**{f"{column}__in": [stored(v) for v in value]})
        elif op == Op.CONTAINS:
            rows = rows.filter(**{f"{column}__icontains": value})
        elif op == Op.RANGE:
            low, high = value
            if low is not None:
                rows = rows.filter(**{f"{column}__gte": low})
            if high is not None:
                rows = rows.filter(**{f"{column}__lte": high})
        else:
            raise ValueError(f"unknown operator {op}")
        return Q(pk__in=rows.values("object_id"))

    return q


def _field_choices(definition: FieldDefinition):
    def choices() -> list[tuple[Any, str]]:
        if definition.field_type == "checkbox":
            return [(True, "checked"), (False, "unchecked")]
        return [(v.key, v.label) for v in definition.possible_values.all()]

    return choices


def field_attribute(definition: FieldDefinition) -> Attribute | None:
    kind = _FIELD_KINDS.get(definition.field_type)
    if kind is None:
        return None  # dates and references: not offered yet
    operators = None
    if kind == Kind.CHOICE:
        operators = (Op.EQUALS, Op.IN, Op.EMPTY, Op.NOT_EMPTY)
    return Attribute(
        name=FIELD_PREFIX + definition.name,
        label=definition.display_label(),
        kind=kind,
        choices=_field_choices(definition) if kind == Kind.CHOICE else None,
        multiple=definition.type.multiple,
        operators=operators,
        q=_field_q(definition, kind),
    )


# --- the schema -------------------------------------------------------------------------------


def _base_attributes() -> list[Attribute]:
    choice = Kind.CHOICE
    return [
        Attribute("number", _("Ticket#"), Kind.TEXT, "number"),
        Attribute("title", _("Title"), Kind.TEXT, "title"),
        Attribute("customer_user", _("Customer user"), Kind.TEXT, "customer_user"),
        Attribute("customer_id", _("Customer ID"), Kind.TEXT, "customer_id"),
        Attribute("queue", _("Queue"), choice, "queue_id", _queues),
        Attribute("state", _("State"), choice, "state_id", _named(State)),
        Attribute(
            "state_type", _("State type"), choice, "state__state_type", StateType.choices.copy
        ),
        Attribute("priority", _("Priority"), choice, "priority_id", _named(Priority)),
        Attribute("type", _("Type"), choice, "type_id", _named(TicketType)),
        Attribute("service", _("Service"), choice, "service_id", _named(Service)),
        Attribute("sla", _("SLA"), choice, "sla_id", _named(SLA)),
        Attribute("lock", _("Lock"), choice, "lock", LockState.choices.copy),
        Attribute("owner", _("Owner"), choice, "owner_id", _users),
        Attribute("responsible", _("Responsible"), choice, "responsible_id", _users),
        Attribute("created", _("Created"), Kind.DATETIME, "created_at"),
        Attribute("changed", _("Changed"), Kind.DATETIME, "changed_at"),
        Attribute("pending_until", _("Pending until"), Kind.DATETIME, "pending_until"),
        *(
            Attribute(
                name,
                _("Escalation state (%(clock)s)") % {"clock": name.replace("_", " ")},
                choice,
                choices=lambda: list(ESCALATION_STATES),
                operators=(Op.EQUALS, Op.IN),
                q=_escalation_q(column),
            )
            for name, column in ESCALATION_COLUMNS.items()
        ),
    ]


def ticket_schema() -> Schema:
    """The attributes of tickets, custom fields included (read now: definitions change)."""
    attributes = _base_attributes()
    for definition in definitions(TICKET):
        attribute = field_attribute(definition)
        if attribute is not None:
            attributes.append(attribute)
    return Schema.of(attributes)


def ticket_facts(
    ticket: Ticket, now: datetime, *, names: Iterable[str] | None = None
) -> dict[str, Any]:
    """The ticket's values by attribute name (custom fields only those in ``names``, if
    given: one query for them)."""
    facts: dict[str, Any] = {
        "number": ticket.number,
        "title": ticket.title,
        "customer_user": ticket.customer_user,
        "customer_id": ticket.customer_id,
        "queue": ticket.queue_id,
        "state": ticket.state_id,
        "state_type": ticket.state.state_type,
        "priority": ticket.priority_id,
        "type": ticket.type_id,
        "service": ticket.service_id,
        "sla": ticket.sla_id,
        "lock": ticket.lock,
        "owner": ticket.owner_id,
        "responsible": ticket.responsible_id,
        "created": ticket.created_at,
        "changed": ticket.changed_at,
        "pending_until": ticket.pending_until,
    }
    for name, column in ESCALATION_COLUMNS.items():
        facts[name] = escalation_state(getattr(ticket, column), now)
    wanted = None if names is None else {n[len(FIELD_PREFIX) :] for n in names}
    # No custom field wanted: not even the definitions are read (a GenericAgent run calls
    # this for every ticket it changes).
    fields = [] if wanted == set() else definitions(TICKET)
    fields = [d for d in fields if wanted is None or d.name in wanted]
    if fields:
        for name, value in values_for(TICKET, [ticket], fields)[ticket.pk].items():
            facts[FIELD_PREFIX + name] = value
    return facts


def facts_for(tree: dict | None, ticket: Ticket, now: datetime) -> dict[str, Any]:
    """:func:`ticket_facts` with only the custom fields ``tree`` tests."""
    names = {n for n in attributes_in(tree) if n.startswith(FIELD_PREFIX)}
    return ticket_facts(ticket, now, names=names)
