"""What a GenericAgent job changes: checking the stored changes, planning them on one ticket
and applying the plan through the ticket actions.

A job's ``changes`` is a mapping of raw values (ids, codes, text)::

    {"queue": 3, "state": 7, "pending_in": {"amount": 3, "unit": "days"},
     "priority": 4, "owner": 12, "responsible": 12, "lock": "lock", "type": 1,
     "service": 2, "sla": 1, "title": "...", "customer_user": "...", "customer_id": "...",
     "fields": {"Severity": "high"}, "note": {"subject": "...", "body": "...",
     "visible": false}, "notify": {"to": ["owner", "ops@example.com"], "subject": "...",
     "body": "..."}, "delete": true}

:func:`plan` says what would change on one ticket (only what differs), as ``[name, old,
new]`` triples of raw values; the dry run shows it, the real run applies exactly it
(:func:`apply`) in OTRS's order: queue, note, state and pending time, customer, title, type,
service and SLA, priority, owner, responsible, lock, custom fields, notification, delete.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from otrs.accounts.models import User, UserKind
from otrs.conditions.core import UNITS, relative_delta
from otrs.fields.models import FieldDefinition
from otrs.fields.selectors import definitions, values_for
from otrs.mail.models import OutboundKind

from .. import actions, mailtexts
from ..choices import PENDING_STATE_TYPES, Channel, LockState, SenderType
from ..deliveries import queue_system_mail
from ..fields import TICKET
from ..models import SLA, Priority, Queue, Service, State, Ticket, TicketType

# The order changes are applied in (spec section 9), which is also the order of a plan.
ORDER = (
    "queue",
    "note",
    "state",
    "pending_until",
    "customer_user",
    "customer_id",
    "title",
    "type",
    "service",
    "sla",
    "priority",
    "owner",
    "responsible",
    "lock",
    "fields",
    "notify",
    "delete",
)
_MODELS: dict[str, Any] = {
    "queue": Queue,
    "state": State,
    "type": TicketType,
    "service": Service,
    "sla": SLA,
    "priority": Priority,
}
RECIPIENT_OWNER = "owner"
RECIPIENT_RESPONSIBLE = "responsible"
NOTE_MAX = 100_000


# --- checking ---------------------------------------------------------------------------------


def change_errors(changes: Mapping[str, Any]) -> list[str]:
    """What is wrong with ``changes``, each message naming the change."""
    errors: list[str] = []

    def refuse(part: str, message: str) -> None:
        errors.append(f"{part}: {message}")

    known = {*ORDER, "pending_in"}
    for name in changes:
        if name not in known:
            refuse(name, _("there is no such change."))
    for name, model in _MODELS.items():
        value = changes.get(name)
        if value is not None and not model.objects.filter(pk__in=[value]).exists():
            refuse(name, _("“%(value)s” does not exist.") % {"value": value})
    for name in ("owner", "responsible"):
        value = changes.get(name)
        if (
            value is not None
            and not User.objects.filter(
                pk=value, kind__in=[UserKind.AGENT, UserKind.SYSTEM], is_active=True
            ).exists()
        ):
            refuse(name, _("“%(value)s” is no active agent.") % {"value": value})
    if changes.get("lock") not in (None, LockState.LOCK, LockState.UNLOCK):
        refuse("lock", _("choose lock or unlock."))
    state = State.objects.filter(pk__in=[changes.get("state")]).first()
    pending = changes.get("pending_in")
    if pending is not None and (
        not isinstance(pending, Mapping)
        or pending.get("unit") not in UNITS
        or not isinstance(pending.get("amount"), int)
        or pending["amount"] < 0
    ):
        refuse("pending_in", _("a pending time needs a whole number and a unit."))
    if state is not None and state.state_type in PENDING_STATE_TYPES and pending is None:
        refuse("state", _("the state “%(state)s” needs a pending time.") % {"state": state.name})
    sla = SLA.objects.filter(pk__in=[changes.get("sla")]).first()
    service = changes.get("service")
    if sla is not None and service is not None and not sla.services.filter(pk=service).exists():
        refuse("sla", _("the SLA does not belong to the chosen service."))
    if "title" in changes and not str(changes["title"]).strip():
        refuse("title", _("a title cannot be empty."))
    fields = {d.name: d for d in definitions(TICKET)}
    for name, text in (changes.get("fields") or {}).items():
        definition = fields.get(name)
        if definition is None:
            refuse(f"field:{name}", _("there is no such custom field."))
            continue
        try:
            definition.type.parse(definition, str(text))
        except ValidationError as error:
            refuse(f"field:{name}", " ".join(error.messages))
    note = changes.get("note")
    if note is not None and not str(note.get("body", "")).strip():
        refuse("note", _("a note needs a text."))
    notify = changes.get("notify")
    if notify is not None:
        recipients = notify.get("to") or []
        if not recipients:
            refuse("notify", _("name at least one recipient."))
        for recipient in recipients:
            if recipient in (RECIPIENT_OWNER, RECIPIENT_RESPONSIBLE):
                continue
            try:
                validate_email(recipient)
            except ValidationError:
                refuse("notify", _("“%(value)s” is no mail address.") % {"value": recipient})
        if not str(notify.get("subject", "")).strip():
            refuse("notify", _("a notification needs a subject."))
    return errors


# --- planning ---------------------------------------------------------------------------------


def _field_definitions(changes: Mapping[str, Any]) -> list[FieldDefinition]:
    wanted = set(changes.get("fields") or {})
    if not wanted:
        return []  # most jobs set no custom field: the definitions are not read per ticket
    return [d for d in definitions(TICKET) if d.name in wanted]


def plan(
    changes: Mapping[str, Any],
    ticket: Ticket,
    now: datetime,
    *,
    cache: dict[str, Any] | None = None,
) -> list[list[Any]]:
    """``[[name, old, new], ...]``: what applying ``changes`` to ``ticket`` now would change,
    in the order it would be done (changes that change nothing are left out). ``cache``: a
    dict kept over a run's tickets (the target state is read once, not per ticket)."""
    found: list[list[Any]] = []
    cache = {} if cache is None else cache

    def differs(name: str, old: Any, new: Any) -> None:
        if new is not None and old != new:
            found.append([name, old, new])

    differs("queue", ticket.queue_id, changes.get("queue"))
    if changes.get("note"):
        found.append(["note", "", changes["note"].get("subject") or _("Note")])
    if "state" not in cache:
        cache["state"] = State.objects.filter(pk__in=[changes.get("state")]).first()
    state = cache["state"] or ticket.state
    differs("state", ticket.state_id, changes.get("state"))
    if changes.get("pending_in") and state.state_type in PENDING_STATE_TYPES:
        until = now + relative_delta(changes["pending_in"])
        old = ticket.pending_until.isoformat() if ticket.pending_until else ""
        differs("pending_until", old, until.isoformat())
    elif state.state_type not in PENDING_STATE_TYPES and ticket.pending_until is not None:
        # A state that is no pending state clears the pending time (set_state does).
        differs("pending_until", ticket.pending_until.isoformat(), "")
    differs("customer_user", ticket.customer_user, changes.get("customer_user"))
    differs("customer_id", ticket.customer_id, changes.get("customer_id"))
    differs("title", ticket.title, changes.get("title"))
    differs("type", ticket.type_id, changes.get("type"))
    differs("service", ticket.service_id, changes.get("service"))
    differs("sla", ticket.sla_id, changes.get("sla"))
    differs("priority", ticket.priority_id, changes.get("priority"))
    differs("owner", ticket.owner_id, changes.get("owner"))
    differs("responsible", ticket.responsible_id, changes.get("responsible"))
    differs("lock", ticket.lock, changes.get("lock"))
    fields = _field_definitions(changes)
    if fields:
        current = values_for(TICKET, [ticket], fields)[ticket.pk]
        for definition in fields:
            after = definition.type.parse(definition, str(changes["fields"][definition.name]))
            before = current.get(definition.name)
            if before != after:
                found.append(
                    [
                        f"field:{definition.name}",
                        definition.type.to_text(definition, before),
                        definition.type.to_text(definition, after),
                    ]
                )
    if changes.get("notify"):
        found.append(["notify", "", ", ".join(changes["notify"]["to"])])
    if changes.get("delete"):
        found.append(["delete", ticket.number, ""])
    return found


# --- applying ---------------------------------------------------------------------------------


def _get(model, pk, cache: dict[Any, Any] | None = None):
    """The row ``pk`` of ``model`` (master data: a state, queue, priority ...), read once
    per run when the run passes its ``cache``."""
    if pk is None:
        return None
    if cache is None:
        return model.objects.get(pk=pk)
    key = (model._meta.label, pk)
    if key not in cache:
        cache[key] = model.objects.get(pk=pk)
    return cache[key]


def apply(
    changes: Mapping[str, Any],
    ticket: Ticket,
    planned: list[list[Any]],
    *,
    actor: User,
    key: str,
    cache: dict[Any, Any] | None = None,
) -> None:
    """Make the changes of ``planned`` (from :func:`plan` on this ticket, in the caller's
    transaction) through the ticket actions as ``actor``. ``key`` names the notification
    mails (a repeated run with the same key queues none twice). ``cache``: the run's (the
    master data the changes name is read once, not per ticket)."""
    names = {entry[0] for entry in planned}
    new = {entry[0]: entry[2] for entry in planned}
    if "queue" in names:
        actions.move_ticket(ticket, _get(Queue, new["queue"], cache), actor=actor)
    if "note" in names:
        note = changes["note"]
        body = mailtexts.render(str(note.get("body", "")), ticket=ticket, agent=actor)
        subject = mailtexts.render(str(note.get("subject", "")), ticket=ticket, agent=actor)
        actions.add_article(
            ticket,
            actions.ArticleInput(
                channel=Channel.INTERNAL,
                sender_type=SenderType.SYSTEM if actor.is_system else SenderType.AGENT,
                subject=subject or _("Note"),
                body=body[:NOTE_MAX],
                is_visible_for_customer=bool(note.get("visible")),
            ),
            actor=actor,
        )
    if "state" in names or "pending_until" in names:
        state = _get(State, new["state"], cache) if "state" in names else ticket.state
        until = datetime.fromisoformat(new["pending_until"]) if new.get("pending_until") else None
        if until is None and "pending_until" not in names:
            until = ticket.pending_until
        actions.set_state(ticket, state, actor=actor, pending_until=until)
    if "customer_user" in names or "customer_id" in names:
        actions.set_customer(
            ticket,
            customer_user=new.get("customer_user", ticket.customer_user),
            customer_id=new.get("customer_id", ticket.customer_id),
            actor=actor,
        )
    if "title" in names:
        actions.set_title(ticket, new["title"], actor=actor)
    if "type" in names:
        actions.set_type(ticket, _get(TicketType, new["type"], cache), actor=actor)
    if "service" in names or "sla" in names:
        service = _get(Service, new["service"], cache) if "service" in names else ticket.service
        if "sla" in names:
            sla = _get(SLA, new["sla"], cache)
        else:
            sla = ticket.sla
            if sla is not None and (service is None or not sla.services.filter(pk=service.pk)):
                sla = None
        actions.set_service(ticket, service, sla, actor=actor)
    if "priority" in names:
        actions.set_priority(ticket, _get(Priority, new["priority"], cache), actor=actor)
    if "owner" in names:
        actions.set_owner(ticket, User.objects.get(pk=new["owner"]), actor=actor)
    if "responsible" in names:
        actions.set_responsible(ticket, User.objects.get(pk=new["responsible"]), actor=actor)
    if "lock" in names:
        if new["lock"] == LockState.LOCK:
            actions.lock_ticket(ticket, actor=actor, keep_owner=True)
        else:
            actions.unlock_ticket(ticket, actor=actor)
    fields = {
        entry[0][len("field:") :]: entry[2] for entry in planned if entry[0].startswith("field:")
    }
    if fields:
        actions.set_field_values(ticket, fields, actor=actor, parse=True)
    if "notify" in names:
        _notify(changes["notify"], ticket, actor=actor, key=key)
    if "delete" in names:
        actions.delete_ticket(ticket, actor=actor)


def _notify(notify: Mapping[str, Any], ticket: Ticket, *, actor: User, key: str) -> None:
    addresses: list[str] = []
    for recipient in notify.get("to") or []:
        if recipient == RECIPIENT_OWNER:
            address = ticket.owner.email
        elif recipient == RECIPIENT_RESPONSIBLE:
            address = ticket.responsible.email
        else:
            address = recipient
        if address and address not in addresses:
            addresses.append(address)
    subject = mailtexts.render(str(notify.get("subject", "")), ticket=ticket, agent=actor)
    body = mailtexts.render(str(notify.get("body", "")), ticket=ticket, agent=actor)
    for address in addresses:
        queue_system_mail(
            to=address,
            subject=subject,
            body=body,
            kind=OutboundKind.AGENT_NOTIFICATION,
            ticket=ticket,
            idempotency_key=f"{key}:{address}"[:200],
        )


# --- for people -------------------------------------------------------------------------------

LABELS = {
    "queue": _lazy("Queue"),
    "note": _lazy("Note"),
    "state": _lazy("State"),
    "pending_until": _lazy("Pending until"),
    "customer_user": _lazy("Customer user"),
    "customer_id": _lazy("Customer ID"),
    "title": _lazy("Title"),
    "type": _lazy("Type"),
    "service": _lazy("Service"),
    "sla": _lazy("SLA"),
    "priority": _lazy("Priority"),
    "owner": _lazy("Owner"),
    "responsible": _lazy("Responsible"),
    "lock": _lazy("Lock"),
    "notify": _lazy("Notification to"),
    "delete": _lazy("Delete the ticket"),
}


def describe(planned: list[list[Any]]) -> list[tuple[str, str, str]]:
    """``(what, old, new)`` texts of a plan (names for ids, labels for codes)."""
    rows = []
    for name, old, new in planned:
        label = LABELS.get(name) or name
        rows.append((str(label), _text(name, old), _text(name, new)))
    return rows


def _text(name: str, value: Any) -> str:
    if value in (None, ""):
        return "-"
    model = _MODELS.get(name)
    if model is not None:
        found = model.objects.filter(pk=value).first()
        if found is None:
            return f"#{value}"
        return _(found.full_name if hasattr(found, "full_name") else found.name)
    if name in ("owner", "responsible"):
        user = User.objects.filter(pk=value).first()
        return user.get_username() if user else f"#{value}"
    if name == "lock":
        return str(LockState(value).label) if value in LockState.values else str(value)
    return str(value)
