"""History rows rendered as sentences in the reader's language and time zone.

Rows keep raw values (ids, codes, ISO times); this module turns them into text at display
time, so a history written in English reads in German for a German agent, and a renamed
queue shows its current name. :func:`describe` resolves all the ids of a list of rows with
one query per kind of object, however long the list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from otrs.fields.models import FieldDefinition

from .choices import HistoryType, LinkType, LockState
from .models import SLA, Priority, Queue, Service, State, TicketHistory, TicketType

# Which raw value of which history type names which kind of object.
_REFERENCES: dict[str, dict[str, str]] = {
    HistoryType.MOVE: {"old": "queue", "new": "queue"},
    HistoryType.STATE_UPDATE: {"old": "state", "new": "state"},
    HistoryType.PRIORITY_UPDATE: {"old": "priority", "new": "priority"},
    HistoryType.OWNER_UPDATE: {"old": "user", "new": "user"},
    HistoryType.RESPONSIBLE_UPDATE: {"old": "user", "new": "user"},
    HistoryType.TYPE_UPDATE: {"old": "type", "new": "type"},
    HistoryType.SERVICE_UPDATE: {"old": "service", "new": "service"},
    HistoryType.SLA_UPDATE: {"old": "sla", "new": "sla"},
    HistoryType.SUBSCRIBE: {"new": "user"},
    HistoryType.UNSUBSCRIBE: {"old": "user"},
}
# Names the defaults and the admin give in English and the templates translate ("new" reads
# "neu"): the history translates them the same way. Queues, services and SLAs are named by
# each site and stay as they are.
_TRANSLATED_NAMES = {"state", "priority", "type"}
_MODELS = {
    "queue": (Queue, "full_name"),
    "state": (State, "name"),
    "priority": (Priority, "name"),
    "type": (TicketType, "name"),
    "service": (Service, "full_name"),
    "sla": (SLA, "name"),
}

# A Misc row with this event is a delivery that failed for good (tickets.actions.email).
_SENDING_FAILED = "ArticleEmailSendingError"
# A Misc row with this event: an FAQ item put into an answer (tickets.actions.object_links).
_FAQ_INSERT = "FAQInsert"
# A Misc row with this event: an agent named in a note (tickets.actions.composer).
_MENTION = "Mention"
# A Misc row with this event: a new ticket made from an article (tickets.actions.split).
_SPLIT = "Split"
_MISC_EVENTS = (_SENDING_FAILED, _FAQ_INSERT, _MENTION, _SPLIT)
# The Bounce row of the notice to the sender of a bounced mail (tickets.actions.bounce).
_BOUNCE_INFORM = "BounceInform"


def _sentences() -> dict[str, str]:
    """The patterns, built per call so that they follow the active language."""
    return {
        HistoryType.NEW_TICKET: _("Ticket %(new)s created in queue %(queue)s."),
        HistoryType.MOVE: _("Moved from queue “%(old)s” to “%(new)s”."),
        HistoryType.STATE_UPDATE: _("State changed from “%(old)s” to “%(new)s”."),
        HistoryType.PRIORITY_UPDATE: _("Priority changed from “%(old)s” to “%(new)s”."),
        HistoryType.OWNER_UPDATE: _("Owner changed from %(old)s to %(new)s."),
        HistoryType.RESPONSIBLE_UPDATE: _("Responsible changed from %(old)s to %(new)s."),
        HistoryType.TYPE_UPDATE: _("Type changed from “%(old)s” to “%(new)s”."),
        HistoryType.SERVICE_UPDATE: _("Service changed from “%(old)s” to “%(new)s”."),
        HistoryType.SLA_UPDATE: _("SLA changed from “%(old)s” to “%(new)s”."),
        HistoryType.TITLE_UPDATE: _("Title changed from “%(old)s” to “%(new)s”."),
        HistoryType.TICKET_DYNAMIC_FIELD_UPDATE: _(
            "Field %(field)s changed from “%(old)s” to “%(new)s”."
        ),
        HistoryType.LOCK: _("Ticket locked."),
        HistoryType.UNLOCK: _("Ticket unlocked."),
        HistoryType.SET_PENDING_TIME: _("Pending time set to %(new)s."),
        HistoryType.CUSTOMER_UPDATE: _(
            "Customer changed to %(new)s (customer id %(customer_id)s)."
        ),
        HistoryType.SUBSCRIBE: _("%(new)s started watching the ticket."),
        HistoryType.UNSUBSCRIBE: _("%(old)s stopped watching the ticket."),
        HistoryType.TICKET_LINK_ADD: _("Linked with ticket %(number)s (%(link_type)s)."),
        HistoryType.TICKET_LINK_DELETE: _("Link with ticket %(number)s removed (%(link_type)s)."),
        HistoryType.MERGED: _("Ticket %(source_number)s merged into ticket %(target_number)s."),
        HistoryType.UNMERGED: _("Ticket %(source_number)s taken out of ticket %(target_number)s."),
        HistoryType.ADD_NOTE: _("Note added."),
        HistoryType.PROCESS_UPDATE: _(
            "Process “%(process_name)s”: activity “%(activity_name)s” (%(reason)s)."
        ),
        HistoryType.TIME_ACCOUNTING: _("%(new)s time units accounted."),
        HistoryType.FOLLOW_UP: _("Follow-up received."),
        HistoryType.EMAIL_CUSTOMER: _("Email received from the customer."),
        HistoryType.EMAIL_AGENT: _("Email sent to the customer."),
        HistoryType.SEND_ANSWER: _("Answer sent."),
        HistoryType.PHONE_CALL_CUSTOMER: _("Phone call from the customer."),
        HistoryType.PHONE_CALL_AGENT: _("Phone call to the customer."),
        HistoryType.WEB_REQUEST_CUSTOMER: _("Request from the customer portal."),
        HistoryType.SYSTEM_REQUEST: _("Request added by the system."),
        HistoryType.FORWARD: _("Email forwarded."),
        HistoryType.BOUNCE: _("Email bounced to %(new)s."),
        HistoryType.SEND_AUTO_REPLY: _("Auto reply sent."),
        HistoryType.SEND_AUTO_FOLLOW_UP: _("Auto follow-up sent."),
        HistoryType.SEND_AUTO_REJECT: _("Auto reject sent."),
        HistoryType.SEND_AGENT_NOTIFICATION: _("Notification sent to %(login)s."),
        HistoryType.SEND_CUSTOMER_NOTIFICATION: _("Notification sent to the customer."),
        HistoryType.LOOP_PROTECTION: _("Loop protection: no more automatic mail to %(new)s today."),
        _SENDING_FAILED: _("Sending the email failed for good: %(new)s"),
        _FAQ_INSERT: _("FAQ item %(number)s inserted into the answer."),
        _MENTION: _("%(login)s was mentioned in a note."),
        _SPLIT: _("Ticket %(number)s split off from an article."),
        _BOUNCE_INFORM: _("The sender was told of the bounce (%(to)s)."),
        "link_add:faq": _("Linked with FAQ item %(number)s."),
        "link_delete:faq": _("Link with FAQ item %(number)s removed."),
        "link_add:configitem": _("Linked with configuration item %(number)s."),
        "link_delete:configitem": _("Link with configuration item %(number)s removed."),
    }


def _pattern_key(entry: TicketHistory) -> str:
    """Which sentence an entry gets: its type's, or a special one for Misc events and for
    links to objects other than tickets (``object`` in the row's extra values)."""
    kind = entry.history_type
    if kind == HistoryType.MISC and entry.extra.get("event") in _MISC_EVENTS:
        return str(entry.extra["event"])
    if kind == HistoryType.BOUNCE and entry.extra.get("event") == _BOUNCE_INFORM:
        return _BOUNCE_INFORM
    other = entry.extra.get("object")
    if other and kind == HistoryType.TICKET_LINK_ADD:
        return f"link_add:{other}"
    if other and kind == HistoryType.TICKET_LINK_DELETE:
        return f"link_delete:{other}"
    return kind


def describe(entries: Iterable[TicketHistory]) -> list[tuple[TicketHistory, str]]:
    """Each entry with its sentence, in the active language and time zone."""
    entries = list(entries)
    names = _lookup_names(entries)
    fields = _field_definitions(entries)
    patterns = _sentences()
    result = []
    for entry in entries:
        values = _values(entry, names)
        if entry.history_type == HistoryType.TICKET_DYNAMIC_FIELD_UPDATE:
            _label_field_values(values, fields.get(str(entry.extra.get("field", ""))))
        pattern = patterns.get(_pattern_key(entry))
        try:
            text = pattern % values if pattern else _label(entry.history_type)
        except (KeyError, TypeError, ValueError):
            # An old row without a parameter a newer pattern expects: show the type.
            text = _label(entry.history_type)
        result.append((entry, text))
    return result


def _label(history_type: str) -> str:
    if history_type in HistoryType.values:
        return str(HistoryType(history_type).label)
    return history_type


def _field_definitions(entries: list[TicketHistory]) -> dict[str, FieldDefinition]:
    """The ticket and article fields named by the field-update rows (valid or not), with
    their possible values: two queries however many rows, none without such rows."""
    wanted = {
        str(entry.extra.get("field"))
        for entry in entries
        if entry.history_type == HistoryType.TICKET_DYNAMIC_FIELD_UPDATE
        and entry.extra.get("field")
    }
    if not wanted:
        return {}
    # Ticket and article fields (names are unique across object types).
    found = FieldDefinition.objects.filter(
        object_type__in=("ticket", "article"), name__in=wanted
    ).prefetch_related("possible_values")
    return {definition.name: definition for definition in found}


def _label_field_values(values: dict[str, str], definition: FieldDefinition | None) -> None:
    """A field-update row in the reader's language: the field's label, and the labels of
    dropdown and multiselect values (the row keeps the raw keys; a key no longer known, or a
    field since deleted, shows as stored)."""
    if definition is None:
        return
    values["field"] = definition.display_label()
    if not definition.type.has_options:
        return
    for side in ("old", "new"):
        raw = values.get(side) or ""
        keys = [part.strip() for part in raw.split(",")] if definition.type.multiple else [raw]
        labels = []
        for key in keys:
            option = definition.option(key) if key else None
            labels.append(definition.option_label(option) if option is not None else key)
        values[side] = ", ".join(labels)


def _lookup_names(entries: list[TicketHistory]) -> dict[str, dict[str, str]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        for side, kind in _REFERENCES.get(entry.history_type, {}).items():
            raw = entry.old_value if side == "old" else entry.new_value
            if raw.isdigit():
                wanted[kind].add(int(raw))
        if entry.history_type == HistoryType.NEW_TICKET and entry.extra.get("queue_id"):
            wanted["queue"].add(int(entry.extra["queue_id"]))
    names: dict[str, dict[str, str]] = {}
    for kind, ids in wanted.items():
        if kind == "user":
            users = get_user_model().objects.filter(pk__in=ids)
            names[kind] = {str(u.pk): u.get_full_name() or u.get_username() for u in users}
        else:
            model, field = _MODELS[kind]
            rows = model._default_manager.filter(pk__in=ids).values_list("pk", field)
            translate = _ if kind in _TRANSLATED_NAMES else str
            names[kind] = {str(pk): translate(name) for pk, name in rows}
    return names


def _values(entry: TicketHistory, names: dict[str, dict[str, str]]) -> dict[str, str]:
    refs = _REFERENCES.get(entry.history_type, {})
    values = {key: str(value) for key, value in entry.extra.items()}
    for side, raw in (("old", entry.old_value), ("new", entry.new_value)):
        kind = refs.get(side)
        if kind:
            values[side] = names.get(kind, {}).get(raw, raw) if raw else _("(none)")
        else:
            values[side] = raw
    if entry.history_type == HistoryType.NEW_TICKET:
        values["queue"] = names.get("queue", {}).get(str(entry.extra.get("queue_id")), "")
    elif entry.history_type == HistoryType.SET_PENDING_TIME:
        values["new"] = _format_time(entry.new_value) if entry.new_value else _("(none)")
    elif entry.history_type == HistoryType.CUSTOMER_UPDATE:
        values["customer_id"] = entry.extra.get("new_customer_id") or _("(none)")
        values["new"] = entry.new_value or _("(none)")
    elif entry.history_type in (HistoryType.LOCK, HistoryType.UNLOCK):
        values["new"] = (
            str(LockState(entry.new_value).label)
            if entry.new_value in (LockState.values)
            else entry.new_value
        )
    elif entry.history_type == HistoryType.PROCESS_UPDATE:
        transition = entry.extra.get("transition_name")
        values["reason"] = (
            _("transition “%(name)s”") % {"name": transition} if transition else _("started")
        )
    if "link_type" in values and values["link_type"] in LinkType.values:
        values["link_type"] = str(LinkType(values["link_type"]).label)
    return values


def _format_time(raw: str) -> str:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    # The sentence ends with its own full stop (a format ending in "a.m." would double it).
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT").rstrip(".")
