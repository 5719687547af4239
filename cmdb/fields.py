"""What the CMDB gives the custom-field engine: configuration items (and the queues and
services CI attributes point at) as reference targets."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs.fields import registry
from otrs.fields.registry import ObjectType

CONFIGITEM = "configitem"


def _describe_ci(configitem) -> str:
    return f"{configitem.number} {configitem.name}"


def register() -> None:
    registry.register_reference_target(
        ObjectType(
            key=CONFIGITEM,
            label=_("Configuration item"),
            model="cmdb.ConfigItem",
            describe=_describe_ci,
            lookup_fields=("number", "name"),
        )
    )
    for key, label, model in (
        ("queue", _("Queue"), "tickets.Queue"),
        ("service", _("Service"), "tickets.Service"),
    ):
        if key not in registry.reference_targets():
            registry.register_reference_target(
                ObjectType(key=key, label=label, model=model, lookup_fields=("name",))
            )
