"""Attribute values through the field engine's types (no second type system).

A class attribute (:class:`cmdb.models.Attribute`) is read by the engine's types through
:class:`Spec`, which offers what a type asks of a field definition (``settings``, the label,
the possible values). The CMDB's own types map onto engine types: ``catalog`` is a dropdown
over a general catalogue list, ``ci``/``customer``/``company``/``agent``/``queue``/
``service`` are engine references with a fixed target.

A version's values are a flat mapping ``path -> value``: a path names an attribute by its
stable id and the position of the value among its repetitions, nested with ``/``
(``"12:0/13:1"``: the second IP address of the first network adapter). Equal mappings mean
equal data, which is how a save finds out whether anything changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs.fields.types import FIELD_TYPES, FieldType

from .choices import CMDB_REFERENCE_TYPES
from .models import Attribute, AttributeValue, CatalogItem, CIFile

Data = dict[str, Any]


@dataclass(frozen=True)
class Option:
    """A catalogue entry as the engine's dropdown reads a possible value."""

    key: str
    label: str
    valid: bool = True
    labels: dict = field(default_factory=dict)

    def display_label(self) -> str:
        return _(self.label) if self.label else self.label


class Spec:
    """An attribute as the engine's types see a field definition."""

    def __init__(self, attribute: Attribute, options: list[Option] | None = None):
        self.attribute = attribute
        self._options = options

    @property
    def pk(self) -> int:
        return self.attribute.pk

    @property
    def settings(self) -> dict:
        settings = dict(self.attribute.settings or {})
        settings.pop("catalog", None)
        settings.pop("options", None)
        target = CMDB_REFERENCE_TYPES.get(self.attribute.field_type)
        if target:
            settings["target"] = target
        return settings

    @property
    def type(self) -> FieldType:
        return engine_type(self.attribute.field_type)

    @property
    def column(self) -> str:
        return self.type.column

    def display_label(self) -> str:
        return _(self.attribute.name)

    # --- possible values (catalog attributes: the list's entries; dropdowns: their own)
    def options(self, *, valid_only: bool = True) -> list[Option]:
        if self._options is None:
            settings = self.attribute.settings or {}
            if self.attribute.field_type == "dropdown":
                self._options = [
                    Option(entry["key"], entry.get("label") or entry["key"])
                    for entry in settings.get("options") or []
                ]
            else:
                self._options = [
                    Option(item.name, item.name, item.valid)
                    for item in CatalogItem.objects.filter(
                        catalog=settings.get("catalog", "")
                    ).order_by("order", "name")
                ]
        return [o for o in self._options if o.valid or not valid_only]

    def option(self, key: str, *, valid_only: bool = False) -> Option | None:
        return next((o for o in self.options(valid_only=valid_only) if o.key == key), None)

    def option_by_label(self, text: str) -> Option | None:
        text = text.casefold()
        return next(
            (o for o in self.options() if text in {o.key.casefold(), o.display_label().casefold()}),
            None,
        )

    def option_label(self, option: Option) -> str:
        return option.display_label()

    # --- values: the engine's types take this in place of a field definition
    @property
    def _as_definition(self) -> Any:
        return self

    def clean(self, value: Any) -> Any:
        return None if self.type.is_empty(value) else self.type.clean(self._as_definition, value)

    def parse(self, text: str) -> Any:
        return self.type.parse(self._as_definition, text)

    def to_text(self, value: Any) -> str:
        return self.type.to_text(self._as_definition, value)

    def render(self, value: Any) -> str:
        return self.type.render(self._as_definition, value)

    def formfield(self):
        return self.type.formfield(self._as_definition, required=False)

    def from_form(self, cleaned: Any) -> Any:
        return self.type.from_form(self._as_definition, cleaned)

    def to_form(self, value: Any) -> Any:
        return self.type.to_form(self._as_definition, value)


ATTACHMENT = "attachment"


class AttachmentType(FieldType):
    """A file of the CI (:class:`cmdb.models.CIFile`), stored by its id. Files come only
    through :func:`cmdb.actions.attach_file` and go through :func:`cmdb.actions.remove_file`:
    a form, the import or a copy never names one (see :meth:`Definition.clean`)."""

    key = ATTACHMENT
    label = gettext_lazy("Attachment")
    column = "value_ref"
    operators = ("empty", "not_empty")

    def clean(self, definition, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(_("Files are added on the configuration item's page."))
        return value

    def parse(self, definition, text: str) -> Any:
        if (text or "").strip():
            raise ValidationError(_("Files are added on the configuration item's page."))
        return None

    def to_text(self, definition, value: Any) -> str:
        found = CIFile.objects.filter(pk=value).values_list("filename", flat=True).first()
        return found or ""

    def formfield(self, definition, *, required: bool = False):
        raise NotImplementedError("Files are not form fields of the CI form.")

    def json_schema(self, definition=None):
        return {"type": "integer", "description": "The id of the CI's file."}


_ATTACHMENT_TYPE = AttachmentType()


def engine_type(field_type: str) -> FieldType:
    if field_type == ATTACHMENT:
        return _ATTACHMENT_TYPE
    if field_type in CMDB_REFERENCE_TYPES:
        return FIELD_TYPES["reference"]
    if field_type == "catalog":
        return FIELD_TYPES["dropdown"]
    return FIELD_TYPES[field_type]


def type_choices() -> list[tuple[str, str]]:
    """Every type an attribute may have: the engine's (but multiselect, which repetition
    replaces) and the CMDB's own."""
    engine = [(key, str(t.label)) for key, t in FIELD_TYPES.items() if key != "multiselect"]
    own = [
        ("catalog", _("General catalogue list")),
        ("ci", _("Configuration item")),
        ("customer", _("Customer user")),
        ("company", _("Customer company")),
        ("agent", _("Agent")),
        ("queue", _("Queue")),
        ("service", _("Service")),
        (ATTACHMENT, _("Attachment")),
    ]
    return engine + own


OPTION_KEY_MAX = 100


def options_errors(options: Any) -> list[str]:
    """What is wrong with a dropdown attribute's own possible values (``settings["options"]``:
    a list of ``{"key": ..., "label": ...}``, keys unique and not empty)."""
    if not isinstance(options, list) or not options:
        return [_("A dropdown needs at least one possible value.")]
    errors, seen = [], set()
    for number, entry in enumerate(options, 1):
        key = entry.get("key") if isinstance(entry, dict) else None
        label = entry.get("label", "") if isinstance(entry, dict) else None
        if not isinstance(key, str) or not key.strip() or not isinstance(label, str):
            errors.append(_("Possible value %(n)d needs a key.") % {"n": number})
        elif len(key) > OPTION_KEY_MAX:
            errors.append(
                _("Possible value %(n)d: the key is longer than %(max)d characters.")
                % {"n": number, "max": OPTION_KEY_MAX}
            )
        elif key in seen:
            errors.append(_("The key %(key)s is used twice.") % {"key": key})
        else:
            seen.add(key)
    return errors


def is_known_type(field_type: str) -> bool:
    return field_type in {key for key, _label in type_choices()}


def value_schemas() -> dict[str, dict[str, Any]]:
    """The JSON schema of one value of each attribute type, by type key, from the engine's
    types (a reference type's with its fixed target)."""
    found = {}
    for key, _label in type_choices():
        target = CMDB_REFERENCE_TYPES.get(key)
        definition: Any = _Fixed({"target": target}) if target else None
        found[key] = engine_type(key).json_schema(definition)
    return found


@dataclass(frozen=True)
class _Fixed:
    """What a type's ``json_schema`` reads of a definition: its settings."""

    settings: dict


# --- the definition as a tree --------------------------------------------------------------


class Definition:
    """A class's live attributes, top level in order, children per parent; one query."""

    def __init__(self, attributes: Iterable[Attribute]):
        self.attributes = sorted(attributes, key=lambda a: (a.order, a.pk))
        self.by_id = {a.pk: a for a in self.attributes}
        self.children: dict[int | None, list[Attribute]] = defaultdict(list)
        for attribute in self.attributes:
            self.children[attribute.parent_id].append(attribute)
        self._specs: dict[int, Spec] = {}

    @classmethod
    def of(cls, ci_class) -> Definition:
        return cls(Attribute.objects.filter(ci_class=ci_class, removed=False))

    @cached_property
    def top(self) -> list[Attribute]:
        return self.children[None]

    def spec(self, attribute_id: int) -> Spec:
        if attribute_id not in self._specs:
            self._specs[attribute_id] = Spec(self.by_id[attribute_id])
        return self._specs[attribute_id]

    def is_file(self, path: str) -> bool:
        attribute = self.by_id.get(leaf_attribute(path))
        return attribute is not None and attribute.field_type == ATTACHMENT

    def searchable(self) -> list[Attribute]:
        return [a for a in self.attributes if a.searchable]

    def label(self, path: str) -> str:
        """A path as people read it: "Network adapter 1 > IP address 2"."""
        parts = []
        for step in path.split("/"):
            attribute_id, position = parse_step(step)
            attribute = self.by_id.get(attribute_id)
            name = _(attribute.name) if attribute else f"#{attribute_id}"
            repeats = attribute is not None and attribute.count_max > 1
            parts.append(f"{name} {position + 1}" if repeats else name)
        return " \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK} ".join(parts)

    def render(self, path: str, value: Any) -> str:
        attribute_id = leaf_attribute(path)
        if attribute_id not in self.by_id:
            return str(value)
        return self.spec(attribute_id).render(value)

    def to_text(self, path: str, value: Any) -> str:
        attribute_id = leaf_attribute(path)
        if attribute_id not in self.by_id:
            return str(value)
        return self.spec(attribute_id).to_text(value)

    # --- checking a version's values
    def clean(self, raw: Data, *, from_text: bool = False) -> Data:
        """``raw`` (path -> value, or text with ``from_text``) checked against the
        definition: each value by its type, then required and repetition. Returns the clean
        mapping with positions closed up; raises ValidationError with a message per path,
        each naming the attribute."""
        errors: dict[str, str] = {}
        values: Data = {}
        for path, value in raw.items():
            try:
                steps = [parse_step(step) for step in path.split("/")]
            except ValueError:
                errors[path] = _("Unknown attribute %(path)s.") % {"path": path}
                continue
            parent = None
            ok = True
            for attribute_id, _position in steps:
                attribute = self.by_id.get(attribute_id)
                if attribute is None or attribute.parent_id != parent:
                    errors[path] = _("Unknown attribute %(path)s.") % {"path": path}
                    ok = False
                    break
                parent = attribute_id
            if not ok:
                continue
            assert parent is not None
            spec = self.spec(parent)  # the leaf
            if spec.attribute.field_type == ATTACHMENT:
                continue  # never taken from input: the file actions own these values
            try:
                cleaned = spec.parse(str(value or "")) if from_text else spec.clean(value)
            except ValidationError as exc:
                errors[path] = f"{self.label(path)}: {' '.join(exc.messages)}"
                continue
            if cleaned is not None:
                values[path] = cleaned
        values = _close_up(values)
        errors.update(self._structure_errors(values))
        if errors:
            raise ValidationError(errors)
        return values

    def _structure_errors(self, values: Data) -> dict[str, str]:
        """Required values and repetition counts, per instance of each parent."""
        errors: dict[str, str] = {}
        used = instances(values)

        def walk(parent_prefix: str, parent_id: int | None) -> None:
            for attribute in self.children[parent_id]:
                if attribute.field_type == ATTACHMENT:
                    continue  # added one by one on the CI page; attach_file checks the count
                prefix = f"{parent_prefix}/" if parent_prefix else ""
                positions = sorted(used.get((parent_prefix, attribute.pk), set()))
                count = len(positions)
                label = self.label(f"{prefix}{attribute.pk}:0")
                if count > attribute.count_max:
                    errors[f"{prefix}{attribute.pk}:{attribute.count_max}"] = _(
                        "%(attribute)s: at most %(max)d values."
                    ) % {"attribute": _(attribute.name), "max": attribute.count_max}
                needed = max(attribute.count_min, 1 if attribute.required else 0)
                if count < needed:
                    errors[f"{prefix}{attribute.pk}:{count}"] = (
                        _("%(attribute)s is required.") % {"attribute": label}
                        if count == 0
                        else _("%(attribute)s: at least %(min)d values.")
                        % {"attribute": _(attribute.name), "min": needed}
                    )
                for position in positions:
                    path = f"{prefix}{attribute.pk}:{position}"
                    if attribute.required and path not in values:
                        errors[path] = _("%(attribute)s is required.") % {
                            "attribute": self.label(path)
                        }
                    walk(path, attribute.pk)

        walk("", None)
        return errors


def parse_step(step: str) -> tuple[int, int]:
    attribute_id, _sep, position = step.partition(":")
    return int(attribute_id), int(position or 0)


def leaf_attribute(path: str) -> int:
    return parse_step(path.rsplit("/", 1)[-1])[0]


def instances(values: Iterable[str]) -> dict[tuple[str, int], set[int]]:
    """(parent path, attribute id) -> the positions in use, from the paths of values (a
    value deeper down makes its ancestors' instances exist)."""
    used: dict[tuple[str, int], set[int]] = defaultdict(set)
    for path in values:
        steps = path.split("/")
        for depth, step in enumerate(steps):
            attribute_id, position = parse_step(step)
            used[("/".join(steps[:depth]), attribute_id)].add(position)
    return used


def _close_up(values: Data) -> Data:
    """Renumber positions 0..n-1 per attribute and parent (an emptied repetition leaves no
    hole), keeping an instance that has values below it."""
    used = instances(values)
    new_path: dict[str, str] = {"": ""}
    for path in sorted({p for v in values for p in _prefixes(v)}, key=lambda p: p.count("/")):
        steps = path.split("/")
        parent_old = "/".join(steps[:-1])
        attribute_id, position = parse_step(steps[-1])
        positions = sorted(used[(parent_old, attribute_id)])
        parent_new = new_path[parent_old]
        step = f"{attribute_id}:{positions.index(position)}"
        new_path[path] = f"{parent_new}/{step}" if parent_new else step
    return {new_path[path]: value for path, value in values.items()}


def _prefixes(path: str) -> list[str]:
    steps = path.split("/")
    return ["/".join(steps[: i + 1]) for i in range(len(steps))]


# --- storage ---------------------------------------------------------------------------------


def load(version_ids: Iterable[int], definition: Definition | None = None) -> dict[int, Data]:
    """The values of versions, by version id, in one query."""
    rows = list(AttributeValue.objects.filter(version_id__in=list(version_ids)).order_by("pk"))
    attributes = definition.by_id if definition else {}
    missing = {row.attribute_id for row in rows} - set(attributes)
    if missing:
        attributes = {**attributes, **Attribute.objects.in_bulk(missing)}
    paths: dict[int, str] = {}
    result: dict[int, Data] = defaultdict(dict)
    for row in rows:  # parents are written before their children: lower ids
        step = f"{row.attribute_id}:{row.position}"
        path = f"{paths[row.parent_id]}/{step}" if row.parent_id else step
        paths[row.pk] = path
        column = engine_type(attributes[row.attribute_id].field_type).column
        stored = row.value_text if column == "value_text" else getattr(row, column)
        if stored is not None:
            result[row.version_id][path] = engine_type(
                attributes[row.attribute_id].field_type
            ).from_db([stored])
    return result


def write(version, values: Data, definition: Definition) -> None:
    """Store a version's values, parents before children (their rows carry the nesting)."""
    paths = sorted({p for path in values for p in _prefixes(path)}, key=lambda p: p.count("/"))
    created: dict[str, AttributeValue] = {}
    by_depth: dict[int, list[str]] = defaultdict(list)
    for path in paths:
        by_depth[path.count("/")].append(path)
    for depth in sorted(by_depth):
        rows = []
        for path in by_depth[depth]:
            attribute_id, position = parse_step(path.rsplit("/", 1)[-1])
            row = AttributeValue(
                version=version,
                attribute_id=attribute_id,
                position=position,
                parent=created.get(path.rsplit("/", 1)[0]) if depth else None,
            )
            if path in values:
                column = engine_type(definition.by_id[attribute_id].field_type).column
                setattr(
                    row,
                    column,
                    engine_type(definition.by_id[attribute_id].field_type).to_db(values[path])[0],
                )
            rows.append(row)
        if depth == max(by_depth) or connection.features.can_return_rows_from_bulk_insert:
            AttributeValue.objects.bulk_create(rows)
        else:  # the children need their parents' ids
            for row in rows:
                row.save()
        for path, row in zip(by_depth[depth], rows, strict=True):
            created[path] = row


def diff(before: Data, after: Data, definition: Definition) -> list[tuple[str, str, str]]:
    """(label, old, new) for every path whose value differs, in definition order."""
    changed = [p for p in {*before, *after} if before.get(p) != after.get(p)]
    changed.sort(key=lambda p: sort_key(p, definition))
    return [
        (
            definition.label(path),
            definition.render(path, before[path]) if path in before else "",
            definition.render(path, after[path]) if path in after else "",
        )
        for path in changed
    ]


def sort_key(path: str, definition: Definition) -> tuple:
    key = []
    for step in path.split("/"):
        attribute_id, position = parse_step(step)
        attribute = definition.by_id.get(attribute_id)
        key.append((attribute.order if attribute else 10**6, attribute_id, position))
    return tuple(key)


def rows(values: Data, definition: Definition) -> list[dict]:
    """The values for a page, in definition order: label, text, depth."""
    return [
        {
            "path": path,
            "label": definition.label(path),
            "value": definition.render(path, values[path]),
            "depth": path.count("/"),
            "file_id": values[path] if definition.is_file(path) else None,
        }
        for path in sorted(values, key=lambda p: sort_key(p, definition))
    ]
