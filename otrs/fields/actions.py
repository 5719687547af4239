"""Every write of the field engine: values (checked against their definitions, written
all-or-nothing) and the definition changes that could break stored values.

``set_field_values(obj, {name: value}, actor=...)`` is the one entry for values. An object type
whose app registered a ``writer`` (tickets: history ``TicketDynamicFieldUpdate`` and an event,
under the ticket's row lock) gets the call handed to it; that writer uses :func:`clean_values`
and :func:`write_values` below inside its own transaction. Other object types are written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs.errors import DomainError, ErrorCode

from .models import FieldDefinition, FieldValue, PossibleValue
from .registry import object_type, object_type_of
from .selectors import definitions, values_for
from .types import FIELD_TYPES


class FieldErrors(DomainError):
    """Values refused; ``errors`` maps each field's name to what is wrong with its value.
    The message names every field (by label) with its error."""

    def __init__(self, errors: Mapping[str, str], labels: Mapping[str, str] | None = None):
        labels = labels or {}
        text = "; ".join(f"{labels.get(name, name)}: {error}" for name, error in errors.items())
        super().__init__(text, code=ErrorCode.FIELD_INVALID)
        self.errors = dict(errors)


@dataclass(frozen=True)
class Change:
    """One field whose value changed: raw values before and after (Python values)."""

    definition: FieldDefinition
    old: Any
    new: Any

    @property
    def old_text(self) -> str:
        return self.definition.type.to_text(self.definition, self.old)

    @property
    def new_text(self) -> str:
        return self.definition.type.to_text(self.definition, self.new)


def _message(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


def clean_values(
    object_type: str,
    values: Mapping[str, Any],
    *,
    fields: list[FieldDefinition] | None = None,
    parse: bool = False,
) -> dict[FieldDefinition, Any]:
    """``values`` (by field name) checked against the valid definitions of ``object_type``;
    ``parse``: the values are text (headers, YAML, imports) and are parsed first. Raises
    :class:`FieldErrors` naming every refused field; returns ``{definition: value}``."""
    known = {d.name: d for d in (fields if fields is not None else definitions(object_type))}
    cleaned: dict[FieldDefinition, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        definition = known.get(name)
        if definition is None:
            errors[name] = _("There is no such custom field.")
            continue
        try:
            if parse:
                cleaned[definition] = definition.type.parse(definition, str(value or ""))
            else:
                cleaned[definition] = definition.clean_value(value)
        except ValidationError as exc:
            errors[name] = _message(exc)
    if errors:
        labels = {d.name: d.display_label() for d in known.values()}
        raise FieldErrors(errors, labels)
    return cleaned


def write_values(
    object_type: str, object_id: int, cleaned: Mapping[FieldDefinition, Any]
) -> list[Change]:
    """Store cleaned values of one object (the caller holds the transaction and whatever lock
    its object needs); returns the fields whose value changed, in the definitions' order."""
    if not cleaned:
        return []
    old_values = values_for(object_type, [object_id], cleaned.keys())[object_id]
    changes: list[Change] = []
    for definition in sorted(cleaned, key=lambda d: (d.order, d.name)):
        new = cleaned[definition]
        old = old_values.get(definition.name)
        if old == new or (old is None and definition.type.is_empty(new)):
            continue
        changes.append(Change(definition, old, None if definition.type.is_empty(new) else new))
    if not changes:
        return []
    FieldValue.objects.filter(
        object_type=object_type,
        object_id=object_id,
        field__in=[c.definition for c in changes],
    ).delete()
    rows = []
    for change in changes:
        if change.new is None:
            continue
        column = change.definition.type.column
        for stored in change.definition.type.to_db(change.new):
            rows.append(
                FieldValue(
                    field=change.definition,
                    object_type=object_type,
                    object_id=object_id,
                    **{column: stored},
                )
            )
    FieldValue.objects.bulk_create(rows)
    return changes


def set_field_values(obj: models.Model, values: Mapping[str, Any], *, actor, **options) -> Any:
    """Set custom fields of ``obj`` (``{name: value}``; ``None`` or empty clears), all or
    nothing. Objects whose app registered a writer go through it (permissions, history,
    events); the others are validated and written here."""
    registered = object_type_of(obj)
    if registered is None:
        raise DomainError(
            _("This kind of object has no custom fields."), code=ErrorCode.FIELD_INVALID
        )
    if registered.writer is not None:
        return registered.writer(obj, values, actor=actor, **options)
    with transaction.atomic():
        cleaned = clean_values(registered.key, values)
        return write_values(registered.key, obj.pk, cleaned)


def delete_values_of(object_type: str, object_id: int) -> None:
    """Remove every value of an object (its app calls this when it deletes the object)."""
    FieldValue.objects.filter(object_type=object_type, object_id=object_id).delete()


# --- definitions ------------------------------------------------------------------------------


def objects_with_values(definition: FieldDefinition, **row_filter) -> int:
    """How many objects have a value of ``definition`` (optionally: matching ``row_filter``)."""
    if definition.pk is None:
        return 0
    rows = FieldValue.objects.filter(field_id=definition.pk, **row_filter)
    return rows.values("object_id").distinct().count()


def definition_problems(
    definition: FieldDefinition, *, removed_keys: list[str] | tuple[str, ...] = ()
) -> dict[str, str]:
    """What is wrong with saving ``definition`` as it is now (unsaved changes included), by
    attribute: an unknown type or object type, bad settings, a type change or removed possible
    values while values exist. Empty when the change is safe."""
    problems: dict[str, str] = {}
    if definition.field_type not in FIELD_TYPES:
        problems["field_type"] = _("Unknown field type %(type)s.") % {"type": definition.field_type}
        return problems
    if object_type(definition.object_type) is None:
        problems["object_type"] = _("Unknown object type %(type)s.") % {
            "type": definition.object_type
        }
    errors = definition.type.settings_errors(definition.settings or {})
    if errors:
        problems["settings"] = " ".join(errors)
    if not isinstance(definition.screens, dict) or any(
        mode not in ("off", "shown", "required") for mode in (definition.screens or {}).values()
    ):
        problems["screens"] = _("Each screen is off, shown or required.")
    if definition.pk is not None:
        before = FieldDefinition.objects.filter(pk=definition.pk).first()
        if before is not None:
            # Any type change with values is refused: even types sharing a column read
            # stored values differently (a dropdown key is not free text).
            changed_storage = before.field_type != definition.field_type
            moved = before.object_type != definition.object_type
            in_use = objects_with_values(definition) if (changed_storage or moved) else 0
            if in_use and changed_storage:
                problems["field_type"] = ngettext(
                    "The type cannot change: %(count)d object has a value of this field.",
                    "The type cannot change: %(count)d objects have a value of this field.",
                    in_use,
                ) % {"count": in_use}
            if in_use and moved:
                problems["object_type"] = ngettext(
                    "The object type cannot change: %(count)d object has a value of this field.",
                    "The object type cannot change: %(count)d objects have a value of this field.",
                    in_use,
                ) % {"count": in_use}
    if removed_keys and definition.pk is not None:
        in_use = objects_with_values(definition, value_text__in=list(removed_keys))
        if in_use:
            problems["possible_values"] = ngettext(
                "%(keys)s cannot be removed: %(count)d object has it as its value.",
                "%(keys)s cannot be removed: %(count)d objects have it as their value.",
                in_use,
            ) % {"keys": ", ".join(removed_keys), "count": in_use}
    return problems


def check_definition(definition: FieldDefinition, *, removed_keys=()) -> None:
    problems = definition_problems(definition, removed_keys=removed_keys)
    if problems:
        raise FieldErrors(problems)


def save_definition(
    definition: FieldDefinition, options: list[dict] | None = None
) -> FieldDefinition:
    """Create or change a definition (and, with ``options``, replace its possible values:
    dicts with key, label, labels, valid); refused if it would break stored values."""
    with transaction.atomic():
        removed: list[str] = []
        if options is not None and definition.pk is not None:
            keep = {o["key"] for o in options}
            removed = list(
                PossibleValue.objects.filter(field=definition)
                .exclude(key__in=keep)
                .values_list("key", flat=True)
            )
        check_definition(definition, removed_keys=removed)
        definition.full_clean(exclude=["settings", "screens", "labels"])
        definition.save()
        if options is not None:
            PossibleValue.objects.filter(field=definition, key__in=removed).delete()
            for position, option in enumerate(options):
                PossibleValue.objects.update_or_create(
                    field=definition,
                    key=option["key"],
                    defaults={
                        "label": option.get("label") or option["key"],
                        "labels": option.get("labels") or {},
                        "valid": option.get("valid", True),
                        "order": option.get("order", position),
                    },
                )
    return definition


def delete_definition(definition: FieldDefinition, *, confirmed_count: int | None = None) -> int:
    """Delete a field with its values; when values exist, ``confirmed_count`` must name how
    many objects lose theirs (the confirmation the admin saw). Returns that count."""
    with transaction.atomic():
        in_use = objects_with_values(definition)
        if in_use and confirmed_count != in_use:
            raise DomainError(
                ngettext(
                    "%(name)s has a value on %(count)d object; confirm to delete it.",
                    "%(name)s has values on %(count)d objects; confirm to delete them.",
                    in_use,
                )
                % {"name": definition.name, "count": in_use},
                code=ErrorCode.FIELD_CONFIRM,
            )
        definition.delete()
    return in_use
