"""ACLs and GenericAgent jobs as YAML, to move them between systems (admin buttons and
``manage.py acl_yaml`` / ``manage.py genericagent_yaml``).

Ids differ from one system to the next, so the YAML names things: conditions in their text
form (:mod:`otrs.conditions.text`: ``queue = Support``), queues and services by full name,
agents by login, states, priorities, types and SLAs by name. An import checks every entry
first and writes nothing if any part is refused (each message names the entry and the
part); an entry whose name exists replaces that rule or job. A job that deletes tickets is
imported switched off: it runs only after an admin looked at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import UserKind
from otrs.conditions import text as condition_text

from ..models import AclRule, GenericAgentJob
from . import acl, actions
from .attributes import ticket_schema

FORMAT_VERSION = 1
ACLS, JOBS = "acls", "generic_agent_jobs"


def load_entries(text: str, key: str) -> list[Mapping]:
    """The list ``key`` of the YAML ``text``, each entry a mapping with a unique name;
    ``ValidationError`` saying what is wrong otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValidationError(_("This is no YAML: %(error)s") % {"error": error}) from error
    if not isinstance(data, Mapping) or not isinstance(data.get(key), list):
        raise ValidationError(_("The YAML has no list “%(key)s”.") % {"key": key})
    entries = data[key]
    if not all(isinstance(entry, Mapping) for entry in entries):
        raise ValidationError(_("%(key)s: every entry must be a mapping.") % {"key": key})
    names = [str(entry.get("name") or "").strip() for entry in entries]
    if "" in names or len(set(names)) != len(names):
        raise ValidationError(_("%(key)s: every name must be given and unique.") % {"key": key})
    return entries


def _dump(key: str, entries: list[dict]) -> str:
    return yaml.safe_dump(
        {"format": FORMAT_VERSION, key: entries}, allow_unicode=True, sort_keys=False
    )


def _flag(entry: Mapping, key: str, default: bool, part: str, errors: list[str]) -> bool:
    value = entry.get(key, default)
    if not isinstance(value, bool):
        errors.append(_("%(part)s: %(key)s must be true or false.") % {"part": part, "key": key})
        return default
    return value


# --- ACLs --------------------------------------------------------------------------------------


def acl_changes_out(changes: Mapping[str, Any]) -> dict[str, Any]:
    """An ACL's changes with names for ids (YAML, the editor)."""
    found: dict[str, Any] = {}
    for name, change in changes.items():
        if name not in acl.FIELDS or not isinstance(change, Mapping):
            found[name] = change
            continue
        ids = [i for key in acl.KEYS for i in change.get(key, [])]
        names = acl.option_names(name, ids)
        found[name] = {key: [names.get(i, i) for i in change[key]] for key in change}
    return found


def acl_changes_in(changes: Any, part: str, errors: list[str]) -> dict[str, Any]:
    """:func:`acl_changes_out` read back; each unknown name is an error (prefixed with
    ``part`` if given) appended to ``errors``."""
    if not isinstance(changes, Mapping):
        message = _("changes must be a mapping.")
        errors.append(f"{part}: {message}" if part else message)
        return {}
    found: dict[str, Any] = {}
    for name, change in changes.items():
        if name not in acl.FIELDS or not isinstance(change, Mapping):
            found[name] = change  # the rule's own check names what is wrong
            continue
        column = acl.name_column(name)
        found[name] = {}
        for key, values in change.items():
            if not isinstance(values, list):
                found[name][key] = values
                continue
            rows = acl.option_rows(name).filter(**{f"{column}__in": [str(v) for v in values]})
            by_name = dict(rows.values_list(column, "pk"))
            for value in values:
                if str(value) not in by_name:
                    message = _("%(field)s.%(key)s: “%(value)s” does not exist.") % {
                        "field": name,
                        "key": key,
                        "value": value,
                    }
                    errors.append(f"{part}: {message}" if part else message)
            found[name][key] = [by_name[str(v)] for v in values if str(v) in by_name]
    return found


def export_acls(rules: Iterable[AclRule]) -> str:
    schema = acl.acl_schema()
    return _dump(
        ACLS,
        [
            {
                "name": rule.name,
                "description": rule.description,
                "valid": rule.valid,
                "stop_after_match": rule.stop_after_match,
                "properties": condition_text.format(rule.properties, schema),
                "changes": acl_changes_out(rule.changes or {}),
            }
            for rule in rules
        ],
    )


def import_acls(text: str) -> list[AclRule]:
    """Create or replace the ACLs of the YAML ``text``; ``ValidationError`` with every
    error, each naming its rule and part, and nothing saved."""
    entries = load_entries(text, ACLS)
    schema = acl.acl_schema()
    errors: list[str] = []
    rules: list[AclRule] = []
    existing = {r.name: r for r in AclRule.objects.filter(name__in=[e["name"] for e in entries])}
    for entry in entries:
        name = str(entry["name"]).strip()
        part = _("ACL %(name)s") % {"name": name}
        rule = existing.get(name) or AclRule(name=name)
        rule.description = str(entry.get("description") or "")
        rule.valid = _flag(entry, "valid", True, part, errors)
        rule.stop_after_match = _flag(entry, "stop_after_match", False, part, errors)
        try:
            rule.properties = condition_text.parse(str(entry.get("properties") or ""), schema)
        except ValidationError as error:
            errors += [f"{part}: properties: {m}" for m in error.messages]
            continue
        rule.changes = acl_changes_in(entry.get("changes") or {}, part, errors)
        for where, found in acl.rule_errors(rule).items():
            errors += [f"{part}: {where}: {m}" for m in found]
        rules.append(rule)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for rule in rules:
            rule.changed_at = timezone.now()
            rule.save()
    return rules


# --- GenericAgent jobs -------------------------------------------------------------------------


def export_jobs(jobs: Iterable[GenericAgentJob]) -> str:
    # The process admin's names for GenericAgent changes (one way to write them everywhere).
    # Imported here: tickets.processes imports this package's modules (a cycle).
    from ..processes.definitions import portable_changes

    schema = ticket_schema()
    return _dump(
        JOBS,
        [
            {
                "name": job.name,
                "description": job.description,
                "valid": job.valid,
                "selection": condition_text.format(job.selection, schema),
                "schedule": job.schedule,
                "events": list(job.events),
                "event_filter": dict(job.event_filter),
                "run_limit": job.run_limit,
                "run_as": job.run_as.get_username() if job.run_as else None,
                "changes": portable_changes(job.changes or {}),
            }
            for job in jobs
        ],
    )


def import_jobs(text: str) -> list[GenericAgentJob]:
    """Create or replace the jobs of the YAML ``text`` (with their beat schedules);
    ``ValidationError`` with every error, each naming its job and part, and nothing saved."""
    # Imported here: tickets.processes imports this package's modules (a cycle).
    from ..processes.definitions import local_changes

    entries = load_entries(text, JOBS)
    schema = ticket_schema()
    errors: list[str] = []
    jobs: list[GenericAgentJob] = []
    existing = {
        j.name: j for j in GenericAgentJob.objects.filter(name__in=[e["name"] for e in entries])
    }
    users = get_user_model().objects
    for entry in entries:
        name = str(entry["name"]).strip()
        part = _("job %(name)s") % {"name": name}
        job = existing.get(name) or GenericAgentJob(name=name)
        job.description = str(entry.get("description") or "")
        job.valid = _flag(entry, "valid", False, part, errors)
        job.schedule = str(entry.get("schedule") or "")
        job.events = entry.get("events") or []
        job.event_filter = entry.get("event_filter") or {}
        if not isinstance(job.events, list):
            errors.append(_("%(part)s: events must be a list.") % {"part": part})
            job.events = []
        limit = entry.get("run_limit", job.run_limit)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            errors.append(_("%(part)s: run_limit must be a whole number above 0.") % {"part": part})
        else:
            job.run_limit = limit
        job.run_as = None
        if entry.get("run_as"):
            job.run_as = users.filter(username=str(entry["run_as"]), kind=UserKind.AGENT).first()
            if job.run_as is None:
                errors.append(
                    _("%(part)s: run_as: there is no agent “%(login)s”.")
                    % {"part": part, "login": entry["run_as"]}
                )
        try:
            job.selection = condition_text.parse(str(entry.get("selection") or ""), schema)
            job.changes = local_changes(entry.get("changes") or {}, part)
        except ValidationError as error:
            errors += [m if m.startswith(part) else f"{part}: {m}" for m in error.messages]
            continue
        if job.changes.get("delete"):
            job.valid = False  # deleting tickets runs only after an admin switched it on
        for where, found in actions.job_errors(job).items():
            errors += [f"{part}: {where}: {m}" for m in found]
        jobs.append(job)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for job in jobs:
            actions.save_job(job)
    return jobs
