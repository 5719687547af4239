"""Editing a class definition: a new definition version each time; attributes keep their
ids, so a rename keeps the data; removing or retyping an attribute that holds values is a
migration that is shown with its count and done only when confirmed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from otrs.errors import DomainError, ErrorCode

from .. import attributes as attrs
from ..choices import SuppressVersion
from ..defaults import SNAPSHOT_FIELDS
from ..models import Attribute, AttributeValue, CatalogItem, Definition
from ._base import require_class

KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
EDITABLE = (
    "key",
    "name",
    "field_type",
    "settings",
    "required",
    "count_min",
    "count_max",
    "count_default",
    "searchable",
    "suppress_version",
)


@dataclass(frozen=True)
class Migration:
    """What confirming a definition change does to stored values."""

    attribute: str
    change: str  # "remove" or "retype"
    values: int  # values affected
    lost: int  # values that cannot be kept (all of them when removing)


class NeedsConfirmation(DomainError):
    def __init__(self, migrations: list[Migration]):
        text = "; ".join(
            _("%(attribute)s: %(count)d values would be lost")
            % {"attribute": m.attribute, "count": m.lost}
            for m in migrations
        )
        super().__init__(
            _("Confirm the migration: %(what)s.") % {"what": text}, code=ErrorCode.FIELD_CONFIRM
        )
        self.migrations = migrations


def _bad(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.CI_DEFINITION)


def _check(spec: dict, siblings: set[str]) -> dict:
    key = str(spec.get("key", "")).strip()
    if not KEY.match(key):
        raise _bad(_("The key %(key)s is not valid (letters, digits, _ . -).") % {"key": key})
    if key in siblings:
        raise _bad(_("The key %(key)s is used twice.") % {"key": key})
    siblings.add(key)
    field_type = spec.get("field_type", "text")
    if not attrs.is_known_type(field_type):
        raise _bad(_("%(key)s: unknown type %(type)s.") % {"key": key, "type": field_type})
    settings = dict(spec.get("settings") or {})
    if (
        field_type == "catalog"
        and not CatalogItem.objects.filter(catalog=settings.get("catalog", "")).exists()
    ):
        raise _bad(_("%(key)s: no such catalogue list.") % {"key": key})
    probe = attrs.Spec(Attribute(field_type=field_type, settings=settings))
    errors = probe.type.settings_errors(probe.settings)
    if field_type == "dropdown":
        errors += attrs.options_errors(settings.get("options"))
    elif "options" in settings:
        errors.append(_("Only a dropdown has its own possible values."))
    if errors:
        raise _bad(f"{key}: {' '.join(errors)}")
    count_min, count_max = int(spec.get("count_min", 0)), int(spec.get("count_max", 1))
    if count_max < 1 or count_min > count_max:
        raise _bad(_("%(key)s: the repetition is not valid.") % {"key": key})
    suppress = spec.get("suppress_version", "") or ""
    if suppress not in SuppressVersion.values:
        raise _bad(_("%(key)s: unknown no-new-version option.") % {"key": key})
    return {
        "key": key,
        "name": str(spec.get("name") or key).strip()[:200],
        "field_type": field_type,
        "settings": settings,
        "required": bool(spec.get("required", False)),
        "count_min": count_min,
        "count_max": count_max,
        "count_default": min(max(int(spec.get("count_default", 1)), count_min), count_max),
        "searchable": bool(spec.get("searchable", False)),
        "suppress_version": suppress,
    }


def _flatten(specs: list[dict], parent_ref, out: list, seen_keys: set[str] | None = None):
    siblings: set[str] = set()
    for order, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise _bad(_("Each attribute is a mapping."))
        fields = _check(spec, siblings)
        if fields["field_type"] == attrs.ATTACHMENT and (
            parent_ref is not None or fields["required"] or fields["count_min"]
        ):
            raise _bad(
                _("%(key)s: files are top-level attributes, never required.")
                % {"key": fields["key"]}
            )
        out.append((spec.get("id"), parent_ref, order, fields))
        _flatten(spec.get("sub") or [], len(out) - 1, out)


def _convertible(old: Attribute, new_type: str, new_settings: dict, values) -> int:
    """How many of ``values`` (AttributeValue rows) the new type cannot read."""
    probe = Attribute(field_type=new_type, settings=new_settings, name=old.name)
    old_spec, new_spec = attrs.Spec(old), attrs.Spec(probe)
    lost = 0
    for row in values:
        stored = getattr(row, old_spec.column)
        if stored is None:
            continue
        try:
            new_spec.parse(old_spec.to_text(old_spec.type.from_db([stored])))
        except ValidationError:
            lost += 1
    return lost


def update_definition(
    ci_class: CatalogItem, specs: list[dict], *, actor, confirm: bool = False
) -> Definition:
    """Replace the class's attributes by ``specs`` (nested with ``sub``; an ``id`` names an
    existing attribute: it keeps its values whatever its new key or name). Refused with
    :class:`NeedsConfirmation` when values would be removed or converted, unless
    ``confirm``."""
    require_class(actor, ci_class)
    flat: list = []
    _flatten(specs, None, flat)
    with transaction.atomic():
        CatalogItem.objects.select_for_update().get(pk=ci_class.pk)
        live = {a.pk: a for a in Attribute.objects.filter(ci_class=ci_class, removed=False)}
        for attribute_id, *_rest in flat:
            if attribute_id is not None and attribute_id not in live:
                raise _bad(_("Unknown attribute id %(id)s.") % {"id": attribute_id})
        kept_ids = {a for a, *_rest in flat if a is not None}
        migrations: list[Migration] = []
        retyped: list[tuple[Attribute, dict]] = []
        for attribute in live.values():
            if attribute.pk not in kept_ids:
                count = AttributeValue.objects.filter(attribute=attribute).count()
                if count:
                    migrations.append(Migration(attribute.key, "remove", count, count))
        for attribute_id, _parent, _order, fields in flat:
            if attribute_id is None:
                continue
            old = live[attribute_id]
            if fields["field_type"] != old.field_type or (
                fields["settings"].get("catalog") != (old.settings or {}).get("catalog")
            ):
                rows = list(AttributeValue.objects.filter(attribute=old))
                if rows:
                    lost = _convertible(old, fields["field_type"], fields["settings"], rows)
                    migrations.append(Migration(old.key, "retype", len(rows), lost))
                retyped.append((old, fields))
            elif old.field_type == "dropdown":
                dropped = _option_keys(old.settings) - _option_keys(fields["settings"])
                count = AttributeValue.objects.filter(attribute=old, value_text__in=dropped).count()
                if count:
                    migrations.append(Migration(old.key, "retype", count, count))
                    retyped.append((old, fields))
        if migrations and not confirm:
            raise NeedsConfirmation(migrations)
        for attribute in live.values():
            if attribute.pk not in kept_ids:
                AttributeValue.objects.filter(attribute=attribute).delete()
                attribute.removed = True
                attribute.save(update_fields=["removed"])
        for old, fields in retyped:
            _convert(old, fields)
        saved: list[Attribute] = []
        for attribute_id, parent_ref, order, fields in flat:
            parent = saved[parent_ref] if parent_ref is not None else None
            if attribute_id is None:
                attribute = Attribute.objects.create(
                    ci_class=ci_class, parent=parent, order=order, **fields
                )
            else:
                attribute = live[attribute_id]
                for name, value in fields.items():
                    setattr(attribute, name, value)
                attribute.parent, attribute.order = parent, order
                attribute.save()
            saved.append(attribute)
        version = Definition.objects.filter(ci_class=ci_class).aggregate(m=Max("version"))["m"] or 0
        return Definition.objects.create(
            ci_class=ci_class,
            version=version + 1,
            snapshot=[{n: getattr(a, n) for n in SNAPSHOT_FIELDS} for a in saved],
            created_by=actor,
        )


def _option_keys(settings: dict | None) -> set[str]:
    return {entry["key"] for entry in (settings or {}).get("options") or []}


def _convert(old: Attribute, fields: dict) -> None:
    """Rewrite the stored values of ``old`` for its new type; what cannot be read goes."""
    probe = Attribute(field_type=fields["field_type"], settings=fields["settings"], name=old.name)
    old_spec, new_spec = attrs.Spec(old), attrs.Spec(probe)
    for row in AttributeValue.objects.filter(attribute=old):
        stored = getattr(row, old_spec.column)
        value = None
        if stored is not None:
            try:
                value = new_spec.parse(old_spec.to_text(old_spec.type.from_db([stored])))
            except ValidationError:
                value = None
        for column in (
            "value_text",
            "value_long",
            "value_int",
            "value_decimal",
            "value_date",
            "value_datetime",
            "value_ref",
        ):
            setattr(row, column, None)
        if value is not None:
            setattr(row, new_spec.column, new_spec.type.to_db(value)[0])
        row.save()


def definition_specs(ci_class: CatalogItem) -> list[dict]:
    """The live definition as ``update_definition`` takes it (ids included)."""
    tree = attrs.Definition.of(ci_class)

    def build(parent_id):
        result = []
        for attribute in tree.children[parent_id]:
            spec = {"id": attribute.pk, **{name: getattr(attribute, name) for name in EDITABLE}}
            sub = build(attribute.pk)
            if sub:
                spec["sub"] = sub
            result.append(spec)
        return result

    return build(None)


# --- one attribute at a time (the definition page's attribute forms) -------------------------


def _find(specs: list[dict], attribute_id: int) -> tuple[list[dict], int] | None:
    """The sibling list holding the spec of ``attribute_id`` and its index there."""
    for index, spec in enumerate(specs):
        if spec.get("id") == attribute_id:
            return specs, index
        found = _find(spec.get("sub") or [], attribute_id)
        if found is not None:
            return found
    return None


def _located(specs: list[dict], attribute_id: int) -> tuple[list[dict], int]:
    found = _find(specs, attribute_id)
    if found is None:
        raise _bad(_("Unknown attribute id %(id)s.") % {"id": attribute_id})
    return found


def add_attribute(
    ci_class: CatalogItem, fields: dict, *, parent_id: int | None = None, actor
) -> Definition:
    """Append one attribute (at the top level or under ``parent_id``): a new definition
    version, as :func:`update_definition`."""
    specs = definition_specs(ci_class)
    if parent_id is None:
        siblings = specs
    else:
        holder, index = _located(specs, parent_id)
        siblings = holder[index].setdefault("sub", [])
    siblings.append({key: value for key, value in fields.items() if key != "id"})
    return update_definition(ci_class, specs, actor=actor)


def change_attribute(
    ci_class: CatalogItem, attribute_id: int, fields: dict, *, actor, confirm: bool = False
) -> Definition:
    """Change one attribute's key, name, type, settings, flags or repetition; it keeps its
    id and so its values (a retype that loses values asks for ``confirm``)."""
    specs = definition_specs(ci_class)
    holder, index = _located(specs, attribute_id)
    holder[index] = {**holder[index], **fields, "id": attribute_id}
    return update_definition(ci_class, specs, actor=actor, confirm=confirm)


def move_attribute(ci_class: CatalogItem, attribute_id: int, step: int, *, actor) -> Definition:
    """Move one attribute up (``-1``) or down (``1``) among its siblings; at the end of its
    list it stays where it is (and no definition version is made)."""
    require_class(actor, ci_class)
    if step not in (-1, 1):
        raise _bad(_("An attribute moves one place up or down."))
    specs = definition_specs(ci_class)
    holder, index = _located(specs, attribute_id)
    target = index + step
    if not 0 <= target < len(holder):
        current = Definition.objects.filter(ci_class=ci_class).order_by("-version").first()
        if current is None:
            raise _bad(_("The class has no definition."))
        return current
    holder[index], holder[target] = holder[target], holder[index]
    return update_definition(ci_class, specs, actor=actor)
