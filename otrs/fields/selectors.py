"""Reads: the definitions of an object type or a screen, the values of a page of objects, and
the search condition for one field."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q

from .models import FieldDefinition, FieldValue
from .registry import ScreenMode, object_types

# Valid definitions per object type are read on every list and form, and change rarely: they
# are kept in the cache (shared by all processes: a file cache, Redis at scale) and dropped
# whenever a definition or possible value is saved or deleted (see invalidate_definitions).
CACHE_TIMEOUT = 300


def database_tag(vendor: str, settings_dict: dict) -> str:
    """A short tag naming one database (vendor, host, port, name), hashed so that no
    connection setting reaches the cache backend as text."""
    where = "|".join(str(settings_dict.get(part) or "") for part in ("HOST", "PORT", "NAME"))
    return hashlib.sha256(f"{vendor}|{where}".encode()).hexdigest()[:16]


def cache_key(object_type: str, vendor: str | None = None, settings_dict=None) -> str:
    """Where the valid definitions of ``object_type`` are cached, for the default database
    (or the one ``vendor``/``settings_dict`` name). The database is part of the key: the
    file cache under var/ outlives a change of DATABASE_URL (and test databases share it),
    and the definitions of one database must never be read for another."""
    tag = database_tag(
        vendor or connection.vendor,
        settings_dict if settings_dict is not None else connection.settings_dict,
    )
    return f"otrs.fields:definitions:{tag}:{object_type}"


def invalidate_definitions() -> None:
    cache.delete_many([cache_key(t.key) for t in object_types()])


def definitions(
    object_type: str, *, screen: str | None = None, valid_only: bool = True
) -> list[FieldDefinition]:
    """The fields of ``object_type`` in order, with their possible values (from the cache;
    else two queries); with ``screen`` only those not off there."""
    rows = FieldDefinition.objects.filter(object_type=object_type).prefetch_related(
        "possible_values"
    )
    if valid_only:
        key = cache_key(object_type)
        cached = cache.get(key)
        if cached is None:
            cached = list(rows.filter(valid=True).order_by("order", "name"))
            cache.set(key, cached, CACHE_TIMEOUT)
        found = list(cached)
    else:
        found = list(rows.order_by("order", "name"))
    if screen is not None:
        found = [d for d in found if d.screen_mode(screen) != ScreenMode.OFF]
    return found


def _ids(objects: Iterable[Any]) -> list[int]:
    return [o if isinstance(o, int) else o.pk for o in objects]


def values_for(
    object_type: str,
    objects: Iterable[models.Model | int],
    fields: Iterable[FieldDefinition],
) -> dict[int, dict[str, Any]]:
    """``{object id: {field name: value}}`` for the given objects and fields, in one query
    (fields not set on an object are missing from its dict)."""
    ids = _ids(objects)
    by_id = {d.pk: d for d in fields}
    result: dict[int, dict[str, Any]] = {pk: {} for pk in ids}
    if not ids or not by_id:
        return result
    stored: dict[tuple[int, int], list[Any]] = defaultdict(list)
    rows = (
        FieldValue.objects.filter(object_type=object_type, object_id__in=ids, field_id__in=by_id)
        .order_by("id")
        .values_list(
            "object_id",
            "field_id",
            "value_text",
            "value_long",
            "value_int",
            "value_decimal",
            "value_date",
            "value_datetime",
            "value_ref",
        )
    )
    columns = {
        "value_text": 2,
        "value_long": 3,
        "value_int": 4,
        "value_decimal": 5,
        "value_date": 6,
        "value_datetime": 7,
        "value_ref": 8,
    }
    for row in rows:
        definition = by_id[row[1]]
        stored[(row[0], row[1])].append(row[columns[definition.type.column]])
    for (object_id, field_id), raw in stored.items():
        definition = by_id[field_id]
        result[object_id][definition.name] = definition.type.from_db(raw)
    return result


def value_of(obj: models.Model, object_type: str, definition: FieldDefinition) -> Any:
    return values_for(object_type, [obj], [definition])[obj.pk].get(definition.name)


@dataclass(frozen=True)
class Shown:
    """A field's value ready for a page: the definition, the raw value and its rendering."""

    definition: FieldDefinition
    value: Any
    text: str

    @property
    def label(self) -> str:
        return self.definition.display_label()


def render_values(
    values: dict[int, dict[str, Any]], fields: list[FieldDefinition]
) -> dict[int, dict[str, str]]:
    """Per object, its set values (from :func:`values_for`) rendered for a page. References
    are resolved in one query per kind of target (all reference fields pointing at tickets
    share one), however many objects and values: never one query per value."""
    references = _reference_texts(values, fields)
    texts: dict[int, dict[str, str]] = {}
    for pk, found in values.items():
        row: dict[str, str] = {}
        for definition in fields:
            if definition.name not in found:
                continue
            value = found[definition.name]
            if definition.field_type == "reference":
                target = (definition.settings or {}).get("target", "")
                row[definition.name] = references.get((target, value), f"#{value}")
            else:
                row[definition.name] = definition.type.render(definition, value)
        texts[pk] = row
    return texts


def _reference_texts(
    values: dict[int, dict[str, Any]], fields: list[FieldDefinition]
) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = defaultdict(set)
    by_target: dict[str, FieldDefinition] = {}
    for definition in fields:
        if definition.field_type != "reference":
            continue
        target = (definition.settings or {}).get("target", "")
        by_target.setdefault(target, definition)
        for found in values.values():
            if found.get(definition.name) is not None:
                wanted[target].add(found[definition.name])
    texts: dict[tuple[str, int], str] = {}
    for target, ids in wanted.items():
        definition = by_target[target]
        try:
            described = definition.type.describe_many(definition, ids)  # type: ignore[attr-defined]
        except ValidationError:
            continue  # an unknown target: the ids show as "#id"
        texts.update({(target, pk): text for pk, text in described.items()})
    return texts


def rendered(
    object_type: str, objects: Iterable[models.Model | int], fields: list[FieldDefinition]
) -> dict[int, list[Shown]]:
    """Per object, the set fields among ``fields`` in their order, rendered (references in
    one query per kind of target, see :func:`render_values`)."""
    values = values_for(object_type, objects, fields)
    texts = render_values(values, fields)
    return {
        pk: [Shown(d, found[d.name], texts[pk][d.name]) for d in fields if d.name in found]
        for pk, found in values.items()
    }


# --- search -----------------------------------------------------------------------------------


def field_filter(definition: FieldDefinition, operator: str, value: Any = None) -> Q:
    """The condition "the object's ``definition`` value ``operator`` ``value``" on an
    object queryset's primary key, as an indexed subquery on the value table.

    Operators: ``equals`` (value), ``in`` (list of values: any), ``range`` ((low, high), either
    may be None), ``contains`` and ``prefix`` (text), ``empty``, ``not_empty``. Values are
    Python values of the field's type (already cleaned)."""
    column = definition.type.column
    rows = FieldValue.objects.filter(field=definition)
    if operator in ("empty", "not_empty"):
        subquery = rows.values("object_id")
        return ~Q(pk__in=subquery) if operator == "empty" else Q(pk__in=subquery)
    if operator == "equals":
        if definition.type.multiple and isinstance(value, list):
            condition = Q(pk__in=rows.filter(**{f"{column}__in": value}).values("object_id"))
            return condition
        stored = definition.type.to_db(value)[0]
        rows = rows.filter(**{column: stored})
    elif operator == "in":
        # A multiselect's values are its keys, each stored as is (one row per key).
        stored = (
            list(value)
            if definition.type.multiple
            else [definition.type.to_db(v)[0] for v in value]
        )
        rows = rows.filter(**{f"{column}__in": stored})
    elif operator == "range":
        low, high = value
        if low is not None:
            rows = rows.filter(**{f"{column}__gte": low})
        if high is not None:
            rows = rows.filter(**{f"{column}__lte": high})
    elif operator == "contains":
        rows = rows.filter(**{f"{column}__icontains": value})
    elif operator == "prefix":
        rows = rows.filter(**{f"{column}__startswith": value})
    else:
        raise ValueError(f"unknown operator {operator}")
    return Q(pk__in=rows.values("object_id"))
