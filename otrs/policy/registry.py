"""The policy settings the installed apps declare, and the accessor code reads them with."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext

MODULE = "policy_settings"
CACHE_KEY = "otrs.policy.values"
# Every host caches the stored values this long at most (the host that saves one drops its
# copy at once; with a shared cache, such as Redis, every host does).
CACHE_SECONDS = 60


@dataclass(frozen=True)
class Definition:
    """One policy setting: its key, what the admin reads, its type and bounds, and the Django
    setting it falls back to (``fallback`` names it; ``scale`` divides it, so that a setting
    kept in seconds is edited in minutes)."""

    key: str
    label: Any
    description: Any
    group: Any
    fallback: str
    kind: str = "int"  # "int", "choice" or "bool"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[tuple[str, Any], ...] = ()
    scale: int = 1
    unit: Any = ""
    # The environment variable that sets the default (deploy/env.example); the fallback's
    # name when empty.
    env: str = ""
    # The app that declares it (filled in by the discovery).
    app_label: str = field(default="", compare=False)

    @property
    def variable(self) -> str:
        return self.env or self.fallback

    def default(self) -> Any:
        raw = getattr(settings, self.fallback)
        return raw // self.scale if self.kind == "int" and self.scale != 1 else raw

    def form_field(self) -> forms.Field:
        if self.kind == "int":
            return forms.IntegerField(
                label=self.label, min_value=self.minimum, max_value=self.maximum
            )
        if self.kind == "choice":
            return forms.ChoiceField(label=self.label, choices=self.choices)
        if self.kind == "bool":
            return forms.BooleanField(label=self.label, required=False)
        raise ImproperlyConfigured(f"Policy setting {self.key!r}: unknown kind {self.kind!r}.")

    def display(self, raw: Any) -> str:
        if self.kind == "choice":
            return str(dict(self.choices).get(raw, raw))
        if self.kind == "bool":
            return gettext("yes") if raw else gettext("no")
        return f"{raw} {self.unit}".strip()


def definitions() -> tuple[Definition, ...]:
    return _discover(tuple(config.name for config in apps.get_app_configs()))


@lru_cache(maxsize=4)
def _discover(app_names: tuple[str, ...]) -> tuple[Definition, ...]:
    found: dict[str, Definition] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, MODULE):
            continue
        for entry in getattr(import_module(f"{config.name}.{MODULE}"), "settings", ()):
            if entry.key in found:
                raise ImproperlyConfigured(
                    f"Policy setting {entry.key!r} of {config.label!r} is already declared by "
                    f"{found[entry.key].app_label!r}."
                )
            object.__setattr__(entry, "app_label", config.label)
            found[entry.key] = entry
    return tuple(found.values())


def definition(key: str) -> Definition:
    for entry in definitions():
        if entry.key == key:
            return entry
    raise KeyError(key)


def stored() -> dict[str, Any]:
    """The values admins stored, by key (cached)."""
    values = cache.get(CACHE_KEY)
    if values is None:
        # Imported here: otrs.policy (which re-exports this module) is imported by modules
        # that load before the models do.
        from .models import PolicyValue

        values = dict(PolicyValue.objects.values_list("key", "value"))
        cache.set(CACHE_KEY, values, CACHE_SECONDS)
    return values


def forget() -> None:
    cache.delete(CACHE_KEY)


def value(key: str) -> Any:
    """The value in force: the stored one, else the default from ``settings.py``."""
    entry = definition(key)
    values = stored()
    return values[key] if key in values else entry.default()
