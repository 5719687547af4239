"""The environment settings as ``settings.py`` read them (read-only, for the admin): each
variable, the text it was given, where that came from (the process environment, the ``.env``
file, or nothing: the default) and the default, with secrets masked as in the support
bundle (:mod:`otrs.ops.masking`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from otrs.env import Read, Source

from .masking import mask


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


def _reader():
    """The settings module's reader (:class:`otrs.env.Settings`), or None."""
    # Under override_settings (tests) SETTINGS_MODULE is None; the variable names it still.
    module = settings.SETTINGS_MODULE or os.environ["DJANGO_SETTINGS_MODULE"]
    return getattr(import_module(module), "env", None)


def env_file() -> Path | None:
    """The ``.env`` file the settings read, if there was one."""
    return getattr(_reader(), "env_file", None)


def reads() -> list[Read]:
    """The variables as read, unmasked (for scrubbing their secret values elsewhere)."""
    return list(getattr(_reader(), "reads", {}).values())


def read(text: str = "") -> list[EnvironmentSetting]:
    """The variables the settings module read, in its order; ``text`` filters by name."""
    path = env_file()
    labels = {
        Source.PROCESS: _("process environment"),
        Source.FILE: str(path) if path else ".env",
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
        for entry in reads()
        if not needle or needle in entry.name.casefold()
    ]
