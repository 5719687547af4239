"""What other apps plug into the field engine: object types, their screens, reference targets.

An app registers its object types in its ``AppConfig.ready()``; this package never imports
it. An object type names its model (``"tickets.Ticket"``), the screens where its fields can be
shown (each field is then off, shown or required there, see ``FieldDefinition.screens``), an
optional ``writer`` (the app's action that writes values with its history, locks and events:
:func:`otrs.fields.actions.set_field_values` hands changes of such objects to it) and how one
of its objects reads as a reference value (``describe``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ScreenMode(StrEnum):
    """How a field appears on a screen (OTRS: 0 off, 1 shown, 2 required)."""

    OFF = "off"
    SHOWN = "shown"
    REQUIRED = "required"


@dataclass(frozen=True)
class Screen:
    """A screen that can show custom fields; ``form``: it edits them (can require them)."""

    key: str
    label: str | Promise
    form: bool = True


@dataclass(frozen=True)
class ObjectType:
    """A kind of object that can carry custom fields."""

    key: str
    label: str | Promise
    model: str  # "app_label.ModelName"
    screens: tuple[Screen, ...] = ()
    # (obj, {name: value}, actor, **options) -> whatever the app's action returns.
    writer: Callable[..., Any] | None = None
    describe: Callable[[Any], str] = str
    # Where to look an object up by text (a reference parsed from a header or YAML): field
    # names tried in order after the primary key.
    lookup_fields: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def screen(self, key: str) -> Screen | None:
        return next((s for s in self.screens if s.key == key), None)


_object_types: dict[str, ObjectType] = {}
# Reference targets that are not object types of their own (agents).
_reference_targets: dict[str, ObjectType] = {}


def register_object_type(object_type: ObjectType) -> None:
    """Register (or replace, for tests and reloads) an object type."""
    _object_types[object_type.key] = object_type


def register_reference_target(target: ObjectType) -> None:
    """Something a reference field may point at that carries no fields itself."""
    _reference_targets[target.key] = target


def object_types() -> list[ObjectType]:
    return list(_object_types.values())


def object_type(key: str) -> ObjectType | None:
    return _object_types.get(key)


def object_type_of(obj: models.Model) -> ObjectType | None:
    """The registered object type whose model ``obj`` is an instance of."""
    label = obj._meta.label
    return next((t for t in _object_types.values() if t.model == label), None)


def reference_targets() -> dict[str, ObjectType]:
    """Object types and other targets a reference field may point at, by key."""
    return {**_object_types, **_reference_targets}


def object_type_choices() -> list[tuple[str, str]]:
    return [(t.key, str(t.label)) for t in _object_types.values()]


def _agent_model_label() -> str:
    return settings.AUTH_USER_MODEL


def _describe_agent(user) -> str:
    return user.get_full_name() or user.get_username()


register_reference_target(
    ObjectType(
        key="agent",
        label=_("Agent"),
        model=_agent_model_label(),
        describe=_describe_agent,
        lookup_fields=("username",),
        extra={"limit_to": {"kind": "agent"}},
    )
)
