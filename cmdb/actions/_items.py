"""Creating and changing configuration items: every save makes a version only when
something changed (spec 13, Versions)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from otrs.errors import DomainError, ErrorCode

from .. import attributes as attrs
from ..choices import Catalog, CmdbEvent, HistoryType, SuppressVersion
from ..models import CatalogItem, ClassCounter, ConfigItem, Definition, Version
from ._base import InvalidValues, lock_graph, record, require, require_class, state
from ._incidents import recalculate

NAME_MAX = 250


@dataclass(frozen=True)
class CIInput:
    """What a form, the import or the API gives for a CI: name, states and values (path ->
    value; with ``from_text`` the values are text to parse, as in a CSV file)."""

    name: str
    deployment_state: CatalogItem | int | str
    incident_state: CatalogItem | int | str
    values: dict[str, Any] = field(default_factory=dict)
    from_text: bool = False


@dataclass(frozen=True)
class Cleaned:
    name: str
    deployment_state: CatalogItem
    incident_state: CatalogItem
    values: dict[str, Any]


def clean(ci_class: CatalogItem, data: CIInput, *, exclude_pk: int | None = None) -> Cleaned:
    """Check everything before anything is written; InvalidValues names each bad input."""
    errors: dict[str, str] = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("The name is required.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The name has at most %(max)d characters.") % {"max": NAME_MAX}
    deployment = incident = None
    try:
        deployment = state(Catalog.DEPLOYMENT_STATE, data.deployment_state)
    except DomainError as exc:
        errors["deployment_state"] = exc.message
    try:
        incident = state(Catalog.INCIDENT_STATE, data.incident_state)
    except DomainError as exc:
        errors["incident_state"] = exc.message
    values: dict[str, Any] = {}
    try:
        values = attrs.Definition.of(ci_class).clean(data.values, from_text=data.from_text)
    except attrs.ValidationError as exc:
        errors.update({path: " ".join(messages) for path, messages in exc.message_dict.items()})
    if errors:
        raise InvalidValues(errors)
    assert deployment is not None and incident is not None
    _check_name(ci_class, name, exclude_pk)
    return Cleaned(name, deployment, incident, values)


def _check_name(ci_class: CatalogItem, name: str, exclude_pk: int | None) -> None:
    taken = ConfigItem.objects.filter(name__iexact=name)
    if not settings.CMDB_UNIQUE_NAME_GLOBAL:
        taken = taken.filter(ci_class=ci_class)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            _("A configuration item named %(name)s exists already.") % {"name": name},
            code=ErrorCode.CI_NAME_TAKEN,
        )


def current_definition(ci_class: CatalogItem) -> Definition:
    found = Definition.objects.filter(ci_class=ci_class).order_by("-version").first()
    if found is None:
        raise DomainError(_("The class has no definition."), code=ErrorCode.CI_DEFINITION)
    return found


def _next_number(ci_class: CatalogItem) -> str:
    """SystemID + class id + a 6-digit counter per class, skipping numbers in use."""
    counter, _created = ClassCounter.objects.get_or_create(ci_class=ci_class)
    counter = ClassCounter.objects.select_for_update().get(pk=counter.pk)
    while True:
        counter.value += 1
        number = f"{settings.SYSTEM_ID}{ci_class.pk}{counter.value:06d}"
        if not ConfigItem.objects.filter(number=number).exists():
            break
    counter.save(update_fields=["value"])
    return number


def create_configitem(ci_class: CatalogItem, data: CIInput, *, actor) -> ConfigItem:
    """A new CI with its first version."""
    require_class(actor, ci_class)
    cleaned = clean(ci_class, data)
    with transaction.atomic():
        definition = current_definition(ci_class)
        configitem = ConfigItem.objects.create(
            number=_next_number(ci_class),
            name=cleaned.name,
            ci_class=ci_class,
            deployment_state=cleaned.deployment_state,
            incident_state=cleaned.incident_state,
            current_incident_state=cleaned.incident_state,
        )
        record(
            configitem,
            HistoryType.CREATE,
            actor,
            {"class": ci_class.pk, "name": cleaned.name},
            CmdbEvent.CREATE,
        )
        _new_version(configitem, cleaned, definition, actor, before=None)
        recalculate({configitem.pk}, actor=actor)
    return configitem


def update_configitem(
    configitem: ConfigItem, data: CIInput, *, actor, expected_version: int | None = None
) -> Version | None:
    """Save the CI's data; a new version only if something changed (returned), ``None``
    when nothing did. ``expected_version``: the version the form showed (edit conflicts)."""
    require(actor, configitem)
    cleaned = clean(configitem.ci_class, data, exclude_pk=configitem.pk)
    with transaction.atomic():
        lock_graph()
        configitem = ConfigItem.objects.select_for_update().get(pk=configitem.pk)
        last = configitem.last_version
        if expected_version is not None and last is not None and last.number != expected_version:
            raise DomainError(
                _("The configuration item was changed meanwhile; look at it and try again."),
                code=ErrorCode.EDIT_CONFLICT,
            )
        return _save(configitem, cleaned, actor)


def _save(
    configitem: ConfigItem, cleaned: Cleaned, actor, *, files_changed: bool = False
) -> Version | None:
    definition = current_definition(configitem.ci_class)
    last = configitem.last_version
    tree = attrs.Definition.of(configitem.ci_class)
    before = attrs.load([last.pk], tree).get(last.pk, {}) if last else {}
    if not files_changed:  # the files stay as they were: no form or import names them
        kept_files = {p: v for p, v in before.items() if tree.is_file(p)}
        values = {p: v for p, v in cleaned.values.items() if not tree.is_file(p)}
        cleaned = replace(cleaned, values={**values, **kept_files})
    same_head = last is not None and (
        last.name == cleaned.name
        and last.deployment_state_id == cleaned.deployment_state.pk
        and last.incident_state_id == cleaned.incident_state.pk
        and last.definition_id == definition.pk
    )
    changed = [p for p in {*before, *cleaned.values} if before.get(p) != cleaned.values.get(p)]
    if same_head and not changed:
        return None
    if same_head and last is not None:
        modes = {tree.by_id[attrs.leaf_attribute(p)].suppress_version for p in changed}
        if modes <= {SuppressVersion.IGNORE}:
            return None
        if modes <= {SuppressVersion.IGNORE, SuppressVersion.UPDATE}:
            kept = {
                p: v
                for p, v in cleaned.values.items()
                if tree.by_id[attrs.leaf_attribute(p)].suppress_version != SuppressVersion.IGNORE
            }
            kept.update(
                {
                    p: v
                    for p, v in before.items()
                    if tree.by_id[attrs.leaf_attribute(p)].suppress_version
                    == SuppressVersion.IGNORE
                }
            )
            last.values.all().delete()
            attrs.write(last, kept, tree)
            _value_history(configitem, before, kept, tree, actor)
            record(
                configitem,
                HistoryType.VALUE_UPDATE,
                actor,
                {"version": last.number},
                CmdbEvent.VERSION_UPDATE,
            )
            return None
    return _new_version(configitem, cleaned, definition, actor, before=before, tree=tree)


def _new_version(configitem, cleaned: Cleaned, definition, actor, *, before, tree=None):
    tree = tree or attrs.Definition.of(configitem.ci_class)
    last = configitem.last_version
    version = Version.objects.create(
        configitem=configitem,
        number=(last.number + 1) if last else 1,
        name=cleaned.name,
        definition=definition,
        deployment_state=cleaned.deployment_state,
        incident_state=cleaned.incident_state,
        created_by=actor,
    )
    attrs.write(version, cleaned.values, tree)
    record(
        configitem,
        HistoryType.VERSION_CREATE,
        actor,
        {"version": version.number},
        CmdbEvent.VERSION_CREATE,
    )
    if last is not None:
        for history_type, old, new in (
            (HistoryType.NAME_UPDATE, last.name, cleaned.name),
            (
                HistoryType.DEPLOYMENT_STATE_UPDATE,
                last.deployment_state_id,
                cleaned.deployment_state.pk,
            ),
            (HistoryType.INCIDENT_STATE_UPDATE, last.incident_state_id, cleaned.incident_state.pk),
            (HistoryType.DEFINITION_UPDATE, last.definition_id, definition.pk),
        ):
            if old != new:
                event = (
                    CmdbEvent.INCIDENT_STATE_UPDATE
                    if history_type == HistoryType.INCIDENT_STATE_UPDATE
                    else CmdbEvent.DEPLOYMENT_STATE_UPDATE
                    if history_type == HistoryType.DEPLOYMENT_STATE_UPDATE
                    else None
                )
                record(configitem, history_type, actor, {"old": old, "new": new}, event)
        _value_history(configitem, before or {}, cleaned.values, tree, actor)
    incident_changed = last is None or last.incident_state_id != cleaned.incident_state.pk
    configitem.name = cleaned.name
    configitem.deployment_state = cleaned.deployment_state
    configitem.incident_state = cleaned.incident_state
    configitem.last_version = version
    fields = ["name", "deployment_state", "incident_state", "last_version", "changed_at"]
    configitem.save(update_fields=fields)
    if incident_changed and last is not None:
        recalculate({configitem.pk}, actor=actor)
        configitem.refresh_from_db(fields=["current_incident_state"])
    return version


def _value_history(configitem, before, after, tree, actor) -> None:
    for path in sorted({*before, *after}, key=lambda p: attrs.sort_key(p, tree)):
        if before.get(path) != after.get(path):
            record(
                configitem,
                HistoryType.VALUE_UPDATE,
                actor,
                {
                    "path": path,
                    "key": tree.label(path),
                    "old": tree.to_text(path, before[path]) if path in before else "",
                    "new": tree.to_text(path, after[path]) if path in after else "",
                },
            )


def _unchanged_input(configitem: ConfigItem, **changes) -> Cleaned:
    last = configitem.last_version
    assert last is not None
    tree = attrs.Definition.of(configitem.ci_class)
    values = attrs.load([last.pk], tree).get(last.pk, {})
    values = {p: v for p, v in values.items() if attrs.leaf_attribute(p) in tree.by_id}
    return Cleaned(
        name=changes.get("name", configitem.name),
        deployment_state=changes.get("deployment_state", configitem.deployment_state),
        incident_state=changes.get("incident_state", configitem.incident_state),
        values=values,
    )


def set_deployment_state(configitem: ConfigItem, new_state, *, actor) -> Version | None:
    """Change only the deployment state (a new version if it differs)."""
    require(actor, configitem)
    chosen = state(Catalog.DEPLOYMENT_STATE, new_state)
    with transaction.atomic():
        lock_graph()
        configitem = ConfigItem.objects.select_for_update().get(pk=configitem.pk)
        return _save(configitem, _unchanged_input(configitem, deployment_state=chosen), actor)


def set_incident_state(configitem: ConfigItem, new_state, *, actor) -> Version | None:
    """Change only the incident state (a new version; the warning travels to linked CIs)."""
    require(actor, configitem)
    chosen = state(Catalog.INCIDENT_STATE, new_state)
    with transaction.atomic():
        lock_graph()
        configitem = ConfigItem.objects.select_for_update().get(pk=configitem.pk)
        return _save(configitem, _unchanged_input(configitem, incident_state=chosen), actor)


def bulk_set_states(
    configitems: list[ConfigItem], *, deployment_state=None, incident_state=None, actor
) -> int:
    """Set the deployment and/or incident state of several CIs, all or none (in id order);
    returns how many got a new version."""
    changed = 0
    with transaction.atomic():
        lock_graph()
        for configitem in sorted(configitems, key=lambda ci: ci.pk):
            if deployment_state is not None:
                changed += (
                    set_deployment_state(configitem, deployment_state, actor=actor) is not None
                )
            if incident_state is not None:
                changed += set_incident_state(configitem, incident_state, actor=actor) is not None
    return changed


def copy_configitem(configitem: ConfigItem, *, actor, name: str | None = None) -> ConfigItem:
    """A new CI of the same class with the current version's data and a new number."""
    require(actor, configitem, "ro")
    source = _unchanged_input(configitem)
    new_name = (name or "").strip() or _("%(name)s (copy)") % {"name": configitem.name}
    return create_configitem(
        configitem.ci_class,
        CIInput(
            name=new_name,
            deployment_state=source.deployment_state,
            incident_state=source.incident_state,
            values=source.values,
        ),
        actor=actor,
    )
