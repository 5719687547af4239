"""Helpers for the CMDB tests: personas and CIs built through the real actions."""

from __future__ import annotations

from cmdb import actions, attributes
from cmdb.choices import Catalog
from cmdb.defaults import DEFAULT_GROUP
from cmdb.models import CatalogItem, ConfigItem
from otrs.accounts.models import Group
from tests import factories


def ci_class(name: str = "Computer") -> CatalogItem:
    return CatalogItem.objects.get(catalog=Catalog.CLASS, name=name)


def cmdb_group() -> Group:
    return Group.objects.get(name=DEFAULT_GROUP)


def path(class_name: str, *keys: str, positions: tuple[int, ...] = ()) -> str:
    """The value path of nested attribute keys ("NIC", "IPAddress"), positions 0 unless given."""
    tree = attributes.Definition.of(ci_class(class_name))
    steps, parent = [], None
    for index, key in enumerate(keys):
        attribute = next(a for a in tree.children[parent] if a.key == key)
        position = positions[index] if index < len(positions) else 0
        steps.append(f"{attribute.pk}:{position}")
        parent = attribute.pk
    return "/".join(steps)


def make_ci(
    name: str,
    class_name: str = "Computer",
    *,
    actor=None,
    deployment: str = "Production",
    incident: str = "Operational",
    values: dict | None = None,
    fill: bool = True,
) -> ConfigItem:
    """A CI through create_configitem; ``values`` by key path ("Vendor" or "NIC/IPAddress")."""
    resolved = {}
    for keys, value in (values or {}).items():
        resolved[path(class_name, *keys.split("/"))] = value
    if class_name in {"Computer", "Hardware", "Location", "Network", "Software"}:
        resolved.setdefault(path(class_name, "Type"), "Other")
    if class_name == "Computer" and fill:
        nic = {p for p in resolved if p.startswith(path("Computer", "NIC"))}
        if nic:
            resolved.setdefault(path("Computer", "NIC", "IPoverDHCP"), "No")
    return actions.create_configitem(
        ci_class(class_name),
        actions.CIInput(
            name=name, deployment_state=deployment, incident_state=incident, values=resolved
        ),
        actor=actor or factories.system(),
    )


def personas():
    """rw and ro agents on the CMDB group, and an outsider."""
    grp = cmdb_group()
    rw = factories.agent("cmdb_rw")
    factories.grant(rw, grp, factories.RW)
    ro = factories.agent("cmdb_ro")
    factories.grant(ro, grp, factories.RO)
    outsider = factories.agent("cmdb_outsider")
    return rw, ro, outsider
