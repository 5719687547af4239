"""Field definitions as YAML, to move them between systems (``manage.py customfields``, the
admin's export action and import page).

The file is a mapping with one key, ``fields``: a list of definitions (name, label, labels,
object_type, field_type, valid, order, settings, screens, possible_values as a list of
key/label/labels/valid). Import is all or nothing: every entry is checked first (the same rules
as the admin: known types, valid settings, no type change or removed possible value while
values exist) and any problem refuses the whole file, naming the line and the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .actions import definition_problems, save_definition
from .models import FieldDefinition

FORMAT_KEYS = {
    "name",
    "label",
    "labels",
    "object_type",
    "field_type",
    "valid",
    "order",
    "settings",
    "screens",
    "possible_values",
    "copy_on_merge",
}
OPTION_KEYS = {"key", "label", "labels", "valid"}


class ImportRefused(Exception):
    """The file was refused; ``problems`` are sentences naming the line and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def export_definitions(fields: Iterable[FieldDefinition] | None = None) -> str:
    rows = (
        FieldDefinition.objects.prefetch_related("possible_values").order_by(
            "object_type", "order", "name"
        )
        if fields is None
        else fields
    )
    entries = []
    for d in rows:
        entry: dict[str, Any] = {
            "name": d.name,
            "label": d.label,
            "labels": dict(d.labels or {}),
            "object_type": d.object_type,
            "field_type": d.field_type,
            "valid": d.valid,
            "order": d.order,
            "settings": dict(d.settings or {}),
            "screens": dict(d.screens or {}),
            "copy_on_merge": d.copy_on_merge,
        }
        if d.type.has_options:
            entry["possible_values"] = [
                {"key": o.key, "label": o.label, "labels": dict(o.labels or {}), "valid": o.valid}
                for o in d.options(valid_only=False)
            ]
        entries.append(entry)
    return yaml.safe_dump({"fields": entries}, allow_unicode=True, sort_keys=False)


def _lines(text: str) -> list[int]:
    """The line (1-based) where each entry of ``fields`` starts."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if key.value == "fields" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _check_entry(entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return [_("an entry must be a mapping")]
    problems = []
    unknown = set(entry) - FORMAT_KEYS
    if unknown:
        problems.append(_("unknown keys: %(keys)s") % {"keys": ", ".join(sorted(unknown))})
    for key in ("name", "label", "object_type", "field_type"):
        if not isinstance(entry.get(key), str) or not entry.get(key):
            problems.append(_("%(key)s is missing or not text") % {"key": key})
    for key in ("labels", "settings", "screens"):
        if key in entry and not isinstance(entry[key], dict):
            problems.append(_("%(key)s must be a mapping") % {"key": key})
    if "valid" in entry and not isinstance(entry["valid"], bool):
        problems.append(_("valid must be true or false"))
    if "order" in entry and (not isinstance(entry["order"], int) or entry["order"] < 0):
        problems.append(_("order must be a whole number of 0 or more"))
    options = entry.get("possible_values")
    if options is not None:
        if not isinstance(options, list):
            problems.append(_("possible_values must be a list"))
        else:
            keys = []
            for option in options:
                if (
                    not isinstance(option, dict)
                    or set(option) - OPTION_KEYS
                    or not isinstance(option.get("key"), str)
                    or not option.get("key")
                ):
                    problems.append(
                        _("each possible value needs a key (and only key, label, labels, valid)")
                    )
                    break
                keys.append(option["key"])
            if len(keys) != len(set(keys)):
                problems.append(_("a possible value key appears twice"))
    return problems


def import_definitions(text: str) -> list[FieldDefinition]:
    """Create or update the definitions in ``text`` (by name); all or nothing."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise ImportRefused([_("line %(line)s: not valid YAML") % {"line": line}]) from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ImportRefused([_("line 1: the file needs a list under the key “fields”")])
    lines = _lines(text)
    problems: list[str] = []
    planned: list[tuple[FieldDefinition, list[dict] | None]] = []
    seen: set[str] = set()
    existing = {d.name: d for d in FieldDefinition.objects.all()}
    for index, entry in enumerate(data["fields"]):
        line = lines[index] if index < len(lines) else "?"
        name = entry.get("name") if isinstance(entry, dict) else None
        where = _("line %(line)s, field %(name)s") % {"line": line, "name": name or "?"}
        entry_problems = _check_entry(entry)
        if name in seen:
            entry_problems.append(_("the name appears twice in the file"))
        seen.add(str(name))
        if entry_problems:
            problems.extend(f"{where}: {p}" for p in entry_problems)
            continue
        definition = existing.get(str(name)) or FieldDefinition(name=str(name))
        definition.label = entry["label"]
        definition.labels = entry.get("labels") or {}
        definition.object_type = entry["object_type"]
        definition.field_type = entry["field_type"]
        definition.valid = entry.get("valid", True)
        definition.order = entry.get("order", 0)
        definition.settings = entry.get("settings") or {}
        definition.screens = entry.get("screens") or {}
        definition.copy_on_merge = bool(entry.get("copy_on_merge", False))
        options = entry.get("possible_values")
        removed: list[str] = []
        if options is not None and definition.pk is not None:
            keep = {o["key"] for o in options}
            removed = [o.key for o in definition.possible_values.all() if o.key not in keep]
        for attribute, problem in definition_problems(definition, removed_keys=removed).items():
            problems.append(f"{where}: {attribute}: {problem}")
        try:
            definition.full_clean(exclude=["settings", "screens", "labels"], validate_unique=False)
        except ValidationError as exc:
            for attribute, messages in exc.message_dict.items():
                problems.append(f"{where}: {attribute}: {' '.join(messages)}")
        planned.append((definition, options))
    if problems:
        raise ImportRefused(problems)
    with transaction.atomic():
        return [save_definition(d, options) for d, options in planned]
