"""Process definitions: checking them (errors by part), and moving them between systems as
YAML (names instead of ids, conditions in their text form).

:func:`process_errors` is what the admin shows and what keeps a process with errors from
being active; :func:`export_process` and :func:`import_process` write and read the YAML
(importing a process of an existing name replaces its definition; tickets already in it keep
their activity when an activity of the same name exists, else the import is refused).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.conditions import condition_errors
from otrs.conditions import text as condition_text

from ..automation.attributes import ticket_schema
from ..automation.changes import change_errors
from ..models import (
    SLA,
    Activity,
    ActivityDialog,
    Interface,
    Priority,
    Process,
    ProcessState,
    Queue,
    Service,
    State,
    TicketProcess,
    TicketType,
    Transition,
)
from .dialogs import field_errors

FORMAT_VERSION = 1


# --- checking ----------------------------------------------------------------------------------


def _reachable(start: int | None, edges: dict[int, set[int]]) -> set[int]:
    seen: set[int] = set()
    todo = deque([start] if start is not None else [])
    while todo:
        node = todo.popleft()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(edges.get(node, ()))
    return seen


def process_errors(process: Process) -> dict[str, list[str]]:
    """What is wrong with the saved ``process``, by part (start, activities, dialogs,
    transitions)."""
    errors: dict[str, list[str]] = {}

    def add(part: str, message: str) -> None:
        errors.setdefault(part, []).append(message)

    activities = {a.pk: a for a in process.activities.all()}
    transitions = list(process.transitions.all())
    dialogs = list(process.dialogs.all())
    if not activities:
        add("activities", _("The process has no activity."))
    if process.start_activity_id is None or process.start_activity_id not in activities:
        add("start", _("The process has no start activity."))
    if process.start_dialog_id is None or process.start_dialog_id not in {d.pk for d in dialogs}:
        add("start", _("The process has no start dialog."))
    edges: dict[int, set[int]] = {}
    backwards: dict[int, set[int]] = {}
    schema = ticket_schema()
    for transition in transitions:
        edges.setdefault(transition.from_activity_id, set()).add(transition.to_activity_id)
        backwards.setdefault(transition.to_activity_id, set()).add(transition.from_activity_id)
        for message in condition_errors(transition.condition, schema):
            add("transitions", f"{transition.name}: {message}")
        for message in change_errors(transition.actions or {}):
            add("transitions", f"{transition.name}: {message}")
        if transition.from_activity_id not in activities or (
            transition.to_activity_id not in activities
        ):
            add("transitions", _("%(name)s: leads out of the process.") % {"name": transition})
    if process.start_activity_id in activities:
        reached = _reachable(process.start_activity_id, edges)
        for pk, activity in activities.items():
            if pk not in reached:
                add(
                    "activities",
                    _("%(name)s: cannot be reached from the start activity.")
                    % {"name": activity.name},
                )
    # An activity with transitions but no dialog is a waiting one: a change made anywhere
    # (tickets.processes.receivers) moves the ticket on when a transition holds.
    ends = {pk for pk in activities if not edges.get(pk)}
    finishing = set().union(*(_reachable(end, backwards) for end in ends)) if ends else set()
    for pk, activity in activities.items():
        if pk not in finishing:
            add(
                "activities",
                _("%(name)s: no way out (no path from here leads to an end activity).")
                % {"name": activity.name},
            )
    for dialog in dialogs:
        for message in field_errors(dialog.fields, customer=dialog.interface == "customer"):
            add("dialogs", f"{dialog.name}: {message}")
    return errors


def save_process(process: Process) -> dict[str, list[str]]:
    """After an edit: a process with errors cannot stay active (it is switched off); returns
    the errors."""
    errors = process_errors(process)
    with transaction.atomic():
        process.changed_at = timezone.now()
        fields = ["changed_at"]
        if errors and process.state == ProcessState.ACTIVE:
            process.state = ProcessState.INACTIVE
            fields.append("state")
        process.save(update_fields=fields)
    return errors


# --- names instead of ids ----------------------------------------------------------------------

_NAMED: dict[str, tuple[Any, str]] = {
    "queue": (Queue, "full_name"),
    "state": (State, "name"),
    "type": (TicketType, "name"),
    "service": (Service, "full_name"),
    "sla": (SLA, "name"),
    "priority": (Priority, "name"),
}


def portable_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """GenericAgent changes with names for ids (queues, states, agents ...)."""
    found = dict(changes)
    for key, (model, attribute) in _NAMED.items():
        if found.get(key) is not None:
            row = model.objects.filter(pk=found[key]).first()
            found[key] = getattr(row, attribute) if row else found[key]
    for key in ("owner", "responsible"):
        if found.get(key) is not None:
            user = get_user_model().objects.filter(pk=found[key]).first()
            found[key] = user.get_username() if user else found[key]
    return found


def local_changes(changes: Mapping[str, Any], part: str) -> dict[str, Any]:
    """:func:`portable_changes` read back; an unknown name is an error naming ``part``."""
    if not isinstance(changes, Mapping):
        raise ValidationError(_("%(part)s: the actions must be a mapping.") % {"part": part})
    found = dict(changes)
    errors: list[str] = []
    for key, (model, attribute) in _NAMED.items():
        if found.get(key) is not None:
            row = model.objects.filter(**{attribute: found[key]}).first()
            if row is None:
                errors.append(
                    _("%(part)s: %(key)s “%(value)s” does not exist.")
                    % {"part": part, "key": key, "value": found[key]}
                )
            else:
                found[key] = row.pk
    for key in ("owner", "responsible"):
        if found.get(key) is not None:
            user = get_user_model().objects.filter(username=found[key]).first()
            if user is None:
                errors.append(
                    _("%(part)s: %(key)s “%(value)s” does not exist.")
                    % {"part": part, "key": key, "value": found[key]}
                )
            else:
                found[key] = user.pk
    if errors:
        raise ValidationError(errors)
    return found


# --- YAML --------------------------------------------------------------------------------------


def export_data(process: Process) -> dict[str, Any]:
    schema = ticket_schema()
    activities = list(process.activities.prefetch_related("dialogs"))
    return {
        "format": FORMAT_VERSION,
        "process": process.name,
        "description": process.description,
        "state": process.state,
        "queue": process.queue.full_name,
        "start_activity": process.start_activity.name if process.start_activity else None,
        "start_dialog": process.start_dialog.name if process.start_dialog else None,
        "dialogs": [
            {
                "name": d.name,
                "description": d.description,
                "interface": d.interface,
                "submit_text": d.submit_text,
                "fields": list(d.fields),
            }
            for d in process.dialogs.all()
        ],
        "activities": [
            {"name": a.name, "dialogs": sorted(d.name for d in a.dialogs.all())} for a in activities
        ],
        "transitions": [
            {
                "name": t.name,
                "from": t.from_activity.name,
                "to": t.to_activity.name,
                "condition": condition_text.format(t.condition, schema),
                "actions": portable_changes(t.actions or {}),
            }
            for t in process.transitions.select_related("from_activity", "to_activity")
        ],
    }


def export_process(process: Process) -> str:
    return yaml.safe_dump(export_data(process), allow_unicode=True, sort_keys=False)


def _list(data: Mapping, key: str) -> list:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValidationError(_("%(key)s: a list of mappings is needed.") % {"key": key})
    return value


def import_process(text: str) -> Process:
    """Create or replace the process the YAML ``text`` describes; ``ValidationError`` with
    every error, each naming its part, and nothing saved."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError(_("This is no YAML: %(error)s") % {"error": error}) from error
    if not isinstance(data, Mapping) or not data.get("process"):
        raise ValidationError(_("The YAML names no process (key “process”)."))
    errors: list[str] = []
    queue = Queue.objects.filter(full_name=data.get("queue")).first()
    if queue is None:
        errors.append(_("queue: “%(value)s” does not exist.") % {"value": data.get("queue")})
    state = data.get("state", ProcessState.INACTIVE)
    if state not in ProcessState.values:
        errors.append(_("state: “%(value)s” is no process state.") % {"value": state})
    dialogs = _list(data, "dialogs")
    activities = _list(data, "activities")
    transitions = _list(data, "transitions")
    dialog_names = [str(d.get("name", "")) for d in dialogs]
    activity_names = [str(a.get("name", "")) for a in activities]
    transition_names = [str(t.get("name", "")) for t in transitions]
    for kind, names in (
        ("dialogs", dialog_names),
        ("activities", activity_names),
        ("transitions", transition_names),
    ):
        if len(set(names)) != len(names) or "" in names:
            errors.append(_("%(part)s: every name must be given and unique.") % {"part": kind})
    for dialog in dialogs:
        if dialog.get("interface", Interface.AGENT) not in Interface.values:
            errors.append(
                _("dialog %(name)s: “%(value)s” is no interface.")
                % {"name": dialog.get("name"), "value": dialog.get("interface")}
            )
        for message in field_errors(dialog.get("fields") or []):
            errors.append(f"dialog {dialog.get('name')}: {message}")
    for activity in activities:
        for name in activity.get("dialogs") or []:
            if name not in dialog_names:
                errors.append(
                    _("activity %(name)s: there is no dialog “%(dialog)s”.")
                    % {"name": activity.get("name"), "dialog": name}
                )
    schema = ticket_schema()
    parsed: list[tuple[Mapping, dict, dict]] = []
    for transition in transitions:
        part = _("transition %(name)s") % {"name": transition.get("name")}
        for end in ("from", "to"):
            if transition.get(end) not in activity_names:
                errors.append(
                    _("%(part)s: there is no activity “%(name)s”.")
                    % {"part": part, "name": transition.get(end)}
                )
        try:
            condition = condition_text.parse(str(transition.get("condition") or ""), schema)
            changes = local_changes(transition.get("actions") or {}, part)
        except ValidationError as error:
            errors += [f"{part}: {m}" if not m.startswith(part) else m for m in error.messages]
            continue
        errors += [f"{part}: {m}" for m in change_errors(changes)]
        parsed.append((transition, condition, changes))
    for key, names in (("start_activity", activity_names), ("start_dialog", dialog_names)):
        if data.get(key) not in names:
            errors.append(
                _("%(key)s: “%(value)s” is not defined.") % {"key": key, "value": data.get(key)}
            )
    if errors:
        raise ValidationError(errors)
    return _write(data, queue, dialogs, activities, parsed)


def _write(data: Mapping, queue: Queue | None, dialogs, activities, parsed) -> Process:
    assert queue is not None
    with transaction.atomic():
        process, _created = Process.objects.select_for_update().get_or_create(
            name=data["process"], defaults={"queue": queue}
        )
        in_use = set(
            TicketProcess.objects.filter(process=process).values_list("activity__name", flat=True)
        )
        missing = in_use - {str(a["name"]) for a in activities}
        if missing:
            raise ValidationError(
                _("activities: tickets stand in “%(names)s”, which the import leaves out.")
                % {"names": ", ".join(sorted(missing))}
            )
        process.description = str(data.get("description") or "")
        process.queue = queue
        process.state = data.get("state", ProcessState.INACTIVE)
        process.start_activity = None
        process.start_dialog = None
        process.changed_at = timezone.now()
        process.save()
        process.transitions.all().delete()
        by_dialog: dict[str, ActivityDialog] = {}
        process.dialogs.exclude(name__in=[d["name"] for d in dialogs]).delete()
        for dialog in dialogs:
            row, _new = ActivityDialog.objects.update_or_create(
                process=process,
                name=dialog["name"],
                defaults={
                    "description": str(dialog.get("description") or ""),
                    "interface": dialog.get("interface", Interface.AGENT),
                    "submit_text": str(dialog.get("submit_text") or ""),
                    "fields": list(dialog.get("fields") or []),
                },
            )
            by_dialog[row.name] = row
        by_activity: dict[str, Activity] = {}
        process.activities.exclude(name__in=[a["name"] for a in activities]).delete()
        for order, activity in enumerate(activities, 1):
            step, _new = Activity.objects.update_or_create(
                process=process, name=activity["name"], defaults={"order": order}
            )
            step.dialogs.set([by_dialog[name] for name in activity.get("dialogs") or []])
            by_activity[step.name] = step
        for order, (transition, condition, changes) in enumerate(parsed, 1):
            Transition.objects.create(
                process=process,
                name=transition["name"],
                order=order,
                from_activity=by_activity[transition["from"]],
                to_activity=by_activity[transition["to"]],
                condition=condition,
                actions=changes,
            )
        process.start_activity = by_activity[data["start_activity"]]
        process.start_dialog = by_dialog[data["start_dialog"]]
        process.save(update_fields=["start_activity", "start_dialog"])
        errors = process_errors(process)
        if errors and process.state == ProcessState.ACTIVE:
            raise ValidationError([m for messages in errors.values() for m in messages])
    return process
