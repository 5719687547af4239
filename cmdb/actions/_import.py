"""CSV import of one class: each row matched on a natural key (number, name or an
attribute) updates that CI or creates one; a dry run goes through exactly the same steps
and rolls everything back, so it reports what the real import will do.

Columns: ``Number``, ``Name``, ``Deployment state``, ``Incident state`` and one column per
attribute value, named by the attribute keys from the top (``NIC/IPAddress``), a repeated
value with its position (``CPU#2``, ``NIC#2/IPAddress#3``). A row that does not fit is
refused with its row and column named; the other rows go on. The real import commits every
``batch`` rows (each row in a savepoint inside it), so an interrupted run resumes with
``start_row``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from otrs.errors import DomainError

from .. import attributes as attrs
from ..models import AttributeValue, CatalogItem, ConfigItem
from ._base import InvalidValues
from ._items import CIInput, create_configitem, update_configitem

FIXED = {
    "number": "Number",
    "name": "Name",
    "deployment": "Deployment state",
    "incident": "Incident state",
}


@dataclass
class RowResult:
    row: int  # 1-based data row (the header is row 0)
    outcome: str  # "create", "change", "unchanged", "refused"
    number: str = ""
    name: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _DryRun(Exception):
    """Raised at the end of a dry run to roll everything back."""


def columns(tree: attrs.Definition) -> dict[str, str]:
    """Column name -> value path for every slot the definition allows (up to max counts)."""
    result: dict[str, str] = {}

    def walk(parent_id, prefix_path, prefix_name):
        for attribute in tree.children[parent_id]:
            for position in range(min(attribute.count_max, 20)):
                name = attribute.key if position == 0 else f"{attribute.key}#{position + 1}"
                column = f"{prefix_name}/{name}" if prefix_name else name
                path = (f"{prefix_path}/" if prefix_path else "") + f"{attribute.pk}:{position}"
                result[column] = path
                walk(attribute.pk, path, column)

    walk(None, "", "")
    return result


def column_of(path: str, tree: attrs.Definition) -> str:
    names = []
    for step in path.split("/"):
        attribute_id, position = attrs.parse_step(step)
        attribute = tree.by_id.get(attribute_id)
        key = attribute.key if attribute else str(attribute_id)
        names.append(key if position == 0 else f"{key}#{position + 1}")
    return "/".join(names)


def _match(ci_class, key: str, row: dict, tree, by_column) -> ConfigItem | None:
    found = ConfigItem.objects.filter(ci_class=ci_class)
    if key == "number":
        value = (row.get(FIXED["number"]) or "").strip()
        return found.filter(number=value).first() if value else None
    if key == "name":
        value = (row.get(FIXED["name"]) or "").strip()
        return found.filter(name__iexact=value).first() if value else None
    path = by_column.get(key)
    if path is None:
        return None
    spec = tree.spec(attrs.leaf_attribute(path))
    text = (row.get(key) or "").strip()
    if not text:
        return None
    stored = spec.type.to_db(spec.parse(text))[0]
    versions = AttributeValue.objects.filter(
        attribute_id=attrs.leaf_attribute(path), **{spec.column: stored}
    ).values("version_id")
    return found.filter(last_version_id__in=versions).first()


def import_rows(
    ci_class: CatalogItem,
    rows: Iterable[dict],
    *,
    key: str,
    actor,
    dry_run: bool,
    batch: int = 200,
    start_row: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RowResult]:
    """Import ``rows`` (dicts by column name) into ``ci_class``; see the module docstring."""
    tree = attrs.Definition.of(ci_class)
    by_column = columns(tree)
    results: list[RowResult] = []
    pending = [(number, row) for number, row in enumerate(rows, start=1) if number >= start_row]

    def one(number: int, row: dict) -> RowResult:
        unknown = [c for c in row if c and c not in by_column and c not in FIXED.values()]
        if unknown:
            return RowResult(
                number,
                "refused",
                errors=[
                    _("Row %(row)d: unknown column %(column)s.") % {"row": number, "column": c}
                    for c in unknown
                ],
            )
        try:
            existing = _match(ci_class, key, row, tree, by_column)
        except ValidationError as exc:  # a key value that does not parse
            return RowResult(
                number,
                "refused",
                errors=[
                    _("Row %(row)d, column %(column)s: %(error)s")
                    % {
                        "row": number,
                        "column": key,
                        "error": " ".join(exc.messages),
                    }
                ],
            )
        values = {by_column[c]: v for c, v in row.items() if c in by_column and (v or "").strip()}
        before_values = {}
        if existing is not None and existing.last_version_id:
            before_values = attrs.load([existing.last_version_id], tree).get(
                existing.last_version_id, {}
            )
        data = CIInput(
            name=(row.get(FIXED["name"]) or (existing.name if existing else "")).strip(),
            deployment_state=(row.get(FIXED["deployment"]) or "").strip()
            or (existing.deployment_state if existing else "Production"),
            incident_state=(row.get(FIXED["incident"]) or "").strip()
            or (existing.incident_state if existing else "Operational"),
            values=values,
            from_text=True,
        )
        try:
            with transaction.atomic():
                if existing is None:
                    created = create_configitem(ci_class, data, actor=actor)
                    return RowResult(number, "create", created.number, created.name)
                version = update_configitem(existing, data, actor=actor)
        except InvalidValues as refusal:
            return RowResult(
                number,
                "refused",
                name=data.name,
                errors=[
                    _("Row %(row)d, column %(column)s: %(error)s")
                    % {"row": number, "column": _column(path, tree), "error": message}
                    for path, message in refusal.errors.items()
                ],
            )
        except DomainError as refusal:
            return RowResult(
                number,
                "refused",
                name=data.name,
                errors=[_("Row %(row)d: %(error)s") % {"row": number, "error": refusal.message}],
            )
        if version is None:
            return RowResult(number, "unchanged", existing.number, existing.name)
        after = attrs.load([version.pk], tree).get(version.pk, {})
        changes = attrs.diff(before_values, after, tree)
        if existing.name != version.name:
            changes.insert(0, (_("Name"), existing.name, version.name))
        return RowResult(number, "change", existing.number, version.name, changes)

    def run_batch(chunk):
        for number, row in chunk:
            results.append(one(number, row))
            if progress:
                progress(number)

    if dry_run:
        try:
            with transaction.atomic():
                run_batch(pending)
                raise _DryRun
        except _DryRun:
            pass
        return results
    for start in range(0, len(pending), max(batch, 1)):
        with transaction.atomic():
            run_batch(pending[start : start + batch])
    return results


def _column(path: str, tree: attrs.Definition) -> str:
    if path in FIXED:
        return FIXED[path]
    if path in ("name", "deployment_state", "incident_state"):
        return {
            "name": FIXED["name"],
            "deployment_state": FIXED["deployment"],
            "incident_state": FIXED["incident"],
        }[path]
    try:
        return column_of(path, tree)
    except (ValueError, KeyError):
        return path


def export_rows(configitems, tree: attrs.Definition, wanted: list[str] | None = None):
    """Header and rows (lists of text) for ``configitems`` of one class; ``wanted``: the
    attribute columns to include (all that hold a value when None)."""
    cis = list(configitems)
    values = attrs.load([ci.last_version_id for ci in cis if ci.last_version_id], tree)
    texts = [
        {
            column_of(p, tree): tree.to_text(p, v)
            for p, v in values.get(ci.last_version_id, {}).items()
            if attrs.leaf_attribute(p) in tree.by_id
        }
        for ci in cis
    ]
    if wanted is None:
        order = list(columns(tree))
        present = {c for row in texts for c in row}
        wanted = [c for c in order if c in present]
    header = [FIXED["number"], FIXED["name"], FIXED["deployment"], FIXED["incident"], *wanted]
    rows = [
        [
            ci.number,
            ci.name,
            ci.deployment_state.name,
            ci.incident_state.name,
            *(text.get(c, "") for c in wanted),
        ]
        for ci, text in zip(cis, texts, strict=True)
    ]
    return header, rows
