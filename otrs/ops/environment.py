"""The environment settings as ``settings.py`` read them (read-only, for the admin): each
variable, the text it was given, where that came from (the process environment, the ``.env``
file, or nothing: the default) and the default, with secrets masked as in the support
bundle."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.utils.translation import gettext as _

from otrs.env import Source

from .support import mask


@dataclass(frozen=True)
class EnvironmentSetting:
    name: str
    value: str  # the text given, masked; empty when the default applies
    source: Source
    source_label: str
    default: str  # masked too (a default may be a development secret)


def _text(name: str, value) -> str:
    if value is None:
        return ""
    shown = mask(name, value)
    if isinstance(shown, list | tuple):
        return ", ".join(str(item) for item in shown)
    return str(shown)


def read(text: str = "") -> list[EnvironmentSetting]:
    """The variables the settings module read, in its order; ``text`` filters by name."""
    # Under override_settings (tests) SETTINGS_MODULE is None; the variable names it still.
    module = settings.SETTINGS_MODULE or os.environ["DJANGO_SETTINGS_MODULE"]
    reader = getattr(import_module(module), "env", None)
    reads = getattr(reader, "reads", {})
    env_file = getattr(reader, "env_file", None)
    labels = {
        Source.PROCESS: _("process environment"),
        Source.FILE: str(env_file) if env_file else ".env",
        Source.DEFAULT: _("default"),
    }
    needle = text.strip().casefold()
    return [
        EnvironmentSetting(
            name=entry.name,
            value=_text(entry.name, entry.raw),
            source=entry.source,
            source_label=labels[entry.source],
            default=_text(entry.name, entry.default),
        )
        for entry in reads.values()
        if not needle or needle in entry.name.casefold()
    ]
