"""Activity dialogs: what a dialog may show, its text form in the admin, the form agents and
customers fill in, and the changes a submitted dialog makes through the ticket actions.

A dialog's ``fields`` is a list of ``{"name": ..., "required": bool}``; a name is one of
:data:`TICKET_FIELDS` (``article`` is a subject and a text that become a note) or
``field:<Name>`` for a ticket custom field. The admin edits it as one line per field::

    title required
    priority
    field:Budget required
    article
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.accounts.models import User, UserKind
from otrs.fields import forms as field_forms
from otrs.fields.selectors import definitions, values_for
from otrs.permissions import PermissionKey

from .. import access, actions
from ..automation import acl
from ..choices import Channel, SenderType
from ..fields import TICKET
from ..forms.common import (
    AgentChoiceField,
    TranslatedChoiceField,
    check_pending_time,
    pending_until_field,
)
from ..forms.versioned import CarriesVersion, add_version_field
from ..models import SLA, Priority, Queue, Service, State, Ticket, TicketType

FIELD_PREFIX = "field:"
ARTICLE = "article"
REQUIRED_WORD = "required"

# The ticket fields a dialog may show (custom fields come as ``field:<Name>``).
TICKET_FIELDS: dict[str, Any] = {
    "title": gettext_lazy("Title"),
    "queue": gettext_lazy("Queue"),
    "state": gettext_lazy("State"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Type"),
    "service": gettext_lazy("Service"),
    "sla": gettext_lazy("SLA"),
    "owner": gettext_lazy("Owner"),
    "responsible": gettext_lazy("Responsible"),
    "customer_user": gettext_lazy("Customer user"),
    "customer_id": gettext_lazy("Customer ID"),
    ARTICLE: gettext_lazy("Note (subject and text)"),
}
# Fields a customer may fill in besides custom fields (the rest are the agents' business; the
# title only when the dialog starts the ticket).
CUSTOMER_FIELDS = {"title", ARTICLE}


# --- the text form and its checks --------------------------------------------------------------


def parse_fields(text: str) -> list[dict]:
    """The admin's lines (``name`` or ``name required``) as the stored list; errors name the
    line."""
    found: list[dict] = []
    errors: list[str] = []
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        required = len(words) > 1 and words[-1].casefold() == REQUIRED_WORD
        name = " ".join(words[:-1] if required else words)
        if len(words) > 2 or (len(words) == 2 and not required):
            errors.append(
                _("Line %(line)s: write a field's name, then “required” if it is.")
                % {"line": number}
            )
            continue
        found.append({"name": name, "required": required})
    if errors:
        raise ValidationError(errors)
    return found


def format_fields(fields: Sequence[Mapping]) -> str:
    return "\n".join(
        f"{f['name']} {REQUIRED_WORD}" if f.get("required") else str(f["name"]) for f in fields
    )


def field_errors(fields: Any, *, customer: bool = False) -> list[str]:
    """What is wrong with a dialog's ``fields``, each message naming the field."""
    if not isinstance(fields, list):
        return [_("The fields must be a list.")]
    known = {d.name for d in definitions(TICKET)}
    errors: list[str] = []
    seen: set[str] = set()
    for entry in fields:
        name = str(entry.get("name", "")) if isinstance(entry, Mapping) else ""
        if not name:
            errors.append(_("Every field needs a name."))
            continue
        if name in seen:
            errors.append(_("%(name)s: named twice.") % {"name": name})
        seen.add(name)
        if name.startswith(FIELD_PREFIX):
            if name[len(FIELD_PREFIX) :] not in known:
                errors.append(_("%(name)s: there is no such custom field.") % {"name": name})
        elif name not in TICKET_FIELDS:
            errors.append(
                _("%(name)s: no such field (possible: %(names)s, field:<Name>).")
                % {"name": name, "names": ", ".join(TICKET_FIELDS)}
            )
        elif customer and name not in CUSTOMER_FIELDS:
            errors.append(
                _("%(name)s: customers cannot set this field (possible: %(names)s).")
                % {"name": name, "names": ", ".join(sorted(CUSTOMER_FIELDS))}
            )
        if not isinstance(entry.get("required", False), bool):
            errors.append(_("%(name)s: “required” is yes or no.") % {"name": name})
    return errors


# --- the form ----------------------------------------------------------------------------------


def _agents():
    return User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username")


class ServiceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return obj.full_name


class QueueChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Queue) -> str:
        return obj.full_name


class DialogForm(CarriesVersion, forms.Form):
    """The fields of one dialog for ``user``, filled with the ticket's values (``ticket``:
    None when the dialog starts a process ticket, which always asks for a title).
    ``cleaned_data`` holds domain objects; :func:`changes_of` and :func:`create_values` read
    them. A dialog of a ticket carries the ticket's version as the agent saw it (the edit
    conflict check of every ticket screen, :mod:`tickets.forms.versioned`)."""

    def __init__(self, *args, dialog, user, ticket: Ticket | None = None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.dialog = dialog
        self.user = user
        self.ticket = ticket
        specs = list(dialog.fields or [])
        self.customer = bool(getattr(user, "is_customer", False))
        if self.customer:
            specs = [
                s
                for s in specs
                if s["name"].startswith(FIELD_PREFIX)
                or (s["name"] in CUSTOMER_FIELDS and (ticket is None or s["name"] != "title"))
            ]
        if ticket is None and not any(s.get("name") == "title" for s in specs):
            specs.insert(0, {"name": "title", "required": True})
        self.specs = specs
        custom = [s["name"][len(FIELD_PREFIX) :] for s in specs if s["name"].startswith("field:")]
        by_name = {d.name: d for d in definitions(TICKET) if d.name in custom}
        for spec in specs:
            name, required = spec["name"], bool(spec.get("required"))
            if name.startswith(FIELD_PREFIX):
                definition = by_name.get(name[len(FIELD_PREFIX) :])
                if definition is not None:
                    self._custom(definition, required)
            else:
                self._ticket_field(name, required)
        self.custom_fields = [by_name[n] for n in custom if n in by_name]
        if ticket is not None:
            self.initial.update(self._current(ticket))
            add_version_field(self, ticket)
        acl.restrict_form(self, user=user, screen="process_dialog", tickets=[ticket])

    def nothing_required(self) -> None:
        """Ask for nothing: a dialog the ticket's activity no longer offers is parsed only to
        be shown again, with the reason it cannot be submitted."""
        for field in self.fields.values():
            field.required = False

    def _custom(self, definition, required: bool) -> None:
        field_forms.add_form_fields(
            self,
            TICKET,
            "process",
            object_id=self.ticket.pk if self.ticket is not None else None,
            fields=[definition],
            optional=True,
        )
        form_field = self.fields[field_forms.PREFIX + definition.name]
        form_field.required = required

    def _ticket_field(self, name: str, required: bool) -> None:
        label = TICKET_FIELDS[name]
        fields = self.fields
        if name == "title":
            fields["title"] = forms.CharField(label=label, max_length=255, required=required)
        elif name == "queue":
            need = PermissionKey.CREATE if self.ticket is None else PermissionKey.MOVE_INTO
            fields["queue"] = QueueChoiceField(
                label=label, queryset=access.queues_for(self.user, need), required=required
            )
        elif name == "state":
            fields["state"] = TranslatedChoiceField(
                label=label, queryset=State.objects.filter(is_valid=True), required=required
            )
            fields["pending_until"] = pending_until_field()
        elif name in ("priority", "type"):
            model = Priority if name == "priority" else TicketType
            fields[name] = TranslatedChoiceField(
                label=label, queryset=model.objects.filter(is_valid=True), required=required
            )
        elif name == "service":
            fields["service"] = ServiceChoiceField(
                label=label, queryset=Service.objects.filter(is_valid=True), required=required
            )
        elif name == "sla":
            fields["sla"] = forms.ModelChoiceField(
                label=label, queryset=SLA.objects.filter(is_valid=True), required=required
            )
        elif name in ("owner", "responsible"):
            fields[name] = AgentChoiceField(label=label, queryset=_agents(), required=required)
        elif name in ("customer_user", "customer_id"):
            fields[name] = forms.CharField(label=label, max_length=150, required=required)
        elif name == ARTICLE:
            fields["subject"] = forms.CharField(label=_("Subject"), max_length=250, required=False)
            fields["body"] = forms.CharField(
                label=_("Text"), widget=forms.Textarea, strip=False, required=required
            )

    def _current(self, ticket: Ticket) -> dict[str, Any]:
        return {
            "title": ticket.title,
            "queue": ticket.queue_id,
            "state": ticket.state_id,
            "pending_until": ticket.pending_until,
            "priority": ticket.priority_id,
            "type": ticket.type_id,
            "service": ticket.service_id,
            "sla": ticket.sla_id,
            "owner": ticket.owner_id,
            "responsible": ticket.responsible_id,
            "customer_user": ticket.customer_user,
            "customer_id": ticket.customer_id,
        }

    def clean(self):
        data = super().clean()
        if "state" in self.fields:
            check_pending_time(self, data)
        sla, service = data.get("sla"), data.get("service")
        if (
            "service" in self.fields
            and sla is not None
            and (service is None or not sla.services.filter(pk=service.pk).exists())
        ):
            self.add_error("sla", _("The SLA does not belong to the chosen service."))
        return data


# --- what a submitted dialog does -------------------------------------------------------------


def _article(data: Mapping[str, Any], *, customer: bool, title: str) -> actions.ArticleInput | None:
    body = data.get("body") or ""
    if not body.strip():
        return None
    return actions.ArticleInput(
        channel=Channel.INTERNAL if not customer else Channel.WEB,
        sender_type=SenderType.CUSTOMER if customer else SenderType.AGENT,
        subject=data.get("subject") or title,
        body=body,
        is_visible_for_customer=customer,
    )


def create_values(form: DialogForm, *, customer: bool = False) -> dict[str, Any]:
    """The keyword arguments of :func:`tickets.actions.create_ticket` a start dialog gives
    (queue, actor and everything not in the dialog are the caller's)."""
    data = form.cleaned_data
    values: dict[str, Any] = {"title": data["title"]}
    for name, keyword in (
        ("state", "state"),
        ("priority", "priority"),
        ("type", "ticket_type"),
        ("service", "service"),
        ("sla", "sla"),
        ("owner", "owner"),
        ("responsible", "responsible"),
        ("customer_user", "customer_user"),
        ("customer_id", "customer_id"),
        ("pending_until", "pending_until"),
    ):
        if data.get(name) not in (None, ""):
            values[keyword] = data[name]
    article = _article(data, customer=customer, title=data["title"])
    if article is not None:
        values["article"] = article
    fields = field_forms.values_of(data, form.custom_fields)
    if fields:
        values["field_values"] = fields
    return values


def apply_dialog(ticket: Ticket, form: DialogForm, *, actor: User, customer: bool = False) -> None:
    """Make the changes of a submitted dialog on ``ticket`` through the ticket actions, in
    the caller's transaction: only what differs from the ticket, in OTRS's order (queue,
    note, state, customer, title, type, service and SLA, priority, owner, responsible, custom
    fields)."""
    data = form.cleaned_data
    present = form.fields
    if customer:
        _apply_for_customer(ticket, form, actor=actor)
        return
    if "queue" in present and data.get("queue") and data["queue"].pk != ticket.queue_id:
        actions.move_ticket(ticket, data["queue"], actor=actor)
    if "body" in present:
        article = _article(data, customer=customer, title=ticket.title)
        if article is not None:
            actions.add_article(ticket, article, actor=actor)
    if "state" in present and data.get("state"):
        state = data["state"]
        until = data.get("pending_until") if state.is_pending else None
        if state.pk != ticket.state_id or until != ticket.pending_until:
            actions.set_state(ticket, state, actor=actor, pending_until=until)
    customer_user = data.get("customer_user", ticket.customer_user) or ""
    customer_id = data.get("customer_id", ticket.customer_id) or ""
    if (customer_user, customer_id) != (ticket.customer_user, ticket.customer_id) and (
        "customer_user" in present or "customer_id" in present
    ):
        actions.set_customer(
            ticket, customer_user=customer_user, customer_id=customer_id, actor=actor
        )
    if "title" in present and data.get("title") and data["title"] != ticket.title:
        actions.set_title(ticket, data["title"], actor=actor)
    if "type" in present and data.get("type") and data["type"].pk != ticket.type_id:
        actions.set_type(ticket, data["type"], actor=actor)
    if "service" in present or "sla" in present:
        service = data.get("service") if "service" in present else ticket.service
        sla = data.get("sla") if "sla" in present else ticket.sla
        if (getattr(service, "pk", None), getattr(sla, "pk", None)) != (
            ticket.service_id,
            ticket.sla_id,
        ):
            actions.set_service(ticket, service, sla, actor=actor)
    priority, responsible = data.get("priority"), data.get("responsible")
    if "priority" in present and priority and priority.pk != ticket.priority_id:
        actions.set_priority(ticket, data["priority"], actor=actor)
    if "owner" in present and data.get("owner") and data["owner"].pk != ticket.owner_id:
        actions.set_owner(ticket, data["owner"], actor=actor)
    if "responsible" in present and responsible and responsible.pk != ticket.responsible_id:
        actions.set_responsible(ticket, data["responsible"], actor=actor)
    fields = field_forms.values_of(data, form.custom_fields)
    if fields:
        current = values_for(TICKET, [ticket.pk], form.custom_fields)[ticket.pk]
        changed = {name: value for name, value in fields.items() if current.get(name) != value}
        if changed:
            need = PermissionKey.RO if customer else PermissionKey.RW
            actions.set_field_values(ticket, changed, actor=actor, need=need)


def _apply_for_customer(ticket: Ticket, form: DialogForm, *, actor: User) -> None:
    """A customer's dialog: a message on the ticket and the custom fields (what the portal
    lets customers do anyway)."""
    data = form.cleaned_data
    article = _article(data, customer=True, title=ticket.title)
    if article is not None:
        actions.add_web_follow_up(ticket, article, actor=actor)
    fields = field_forms.values_of(data, form.custom_fields)
    if fields:
        current = values_for(TICKET, [ticket.pk], form.custom_fields)[ticket.pk]
        changed = {name: value for name, value in fields.items() if current.get(name) != value}
        if changed:
            actions.set_field_values(ticket, changed, actor=actor, need=PermissionKey.NOTE)
