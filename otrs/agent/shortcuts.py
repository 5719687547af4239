"""Keyboard shortcuts of the agent portal, and the agent's own keys for them.

Shortcuts are single unmodified keys, matched by the character they type (``event.key``),
never by the physical key: "/" and "?" are the same characters on English, German and French
keyboards wherever they sit, and the script ignores every key pressed with Ctrl, Alt (AltGr),
or Meta, so no shortcut takes a browser's or the system's combination or a character typed
with AltGr ("@" on a German keyboard). "/" focuses the search, "?" shows the help, "g" then a
letter or digit opens a menu entry. The letters are the apps' defaults (``MenuEntry.shortcut``)
unless the agent chose others in the preferences (``User.shortcuts``).
"""

from __future__ import annotations

import string

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .preferences import PreferencesSection

# Keys that mean something else: the prefix of the navigation and the two fixed ones.
RESERVED = frozenset({"g", "/", "?"})
KEYS = [*string.ascii_lowercase, *string.digits]


def _stored_key(entry: registry.MenuEntry) -> str:
    return f"nav:{entry.key}"


def nav_shortcut(user, entry: registry.MenuEntry) -> str:
    """The key that follows "g" for ``entry``: the agent's own, else the app's; "" none."""
    chosen = (getattr(user, "shortcuts", None) or {}).get(_stored_key(entry))
    return entry.shortcut if chosen is None else chosen


def nav_shortcuts(user) -> list[tuple[registry.MenuEntry, str]]:
    """The menu entries ``user`` sees that have a shortcut by default, with their key now."""
    return [
        (entry, nav_shortcut(user, entry)) for entry in registry.menu_for(user) if entry.shortcut
    ]


class ShortcutPreferences(PreferencesSection):
    """A key per menu entry ("g" then the key), any letter or digit; empty: no shortcut."""

    template_name = "agent/_shortcut_preferences.html"
    title = gettext_lazy("Keyboard shortcuts")

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, user=user, **kwargs)
        self.entries = {}
        for entry, key in nav_shortcuts(user):
            name = f"shortcut_{entry.key}"
            self.entries[name] = entry
            self.fields[name] = forms.ChoiceField(
                label=entry.label,
                choices=[("", gettext_lazy("Off")), *((k, k) for k in KEYS if k not in RESERVED)],
                required=False,
                initial=key,
            )

    def clean(self):
        cleaned = super().clean()
        taken: dict[str, str] = {}
        for name, entry in self.entries.items():
            key = cleaned.get(name) if name in self.data else self.fields[name].initial
            if not key:
                continue
            if key in taken:
                self.add_error(
                    name,
                    ValidationError(
                        _("“%(key)s” is already the key of “%(other)s”.")
                        % {"key": key, "other": taken[key]},
                        code="taken",
                    ),
                )
            taken[key] = str(entry.label)
        return cleaned

    def save(self) -> None:
        own = dict(self.user.shortcuts or {})
        for name, entry in self.entries.items():
            if name not in self.data:  # a form without the field changes nothing
                continue
            key = self.cleaned_data.get(name) or ""
            own.pop(_stored_key(entry), None)
            if key != entry.shortcut:
                own[_stored_key(entry)] = key
        self.user.shortcuts = own
        self.user.save(update_fields=["shortcuts"])
