"""Icons of the agent portal, from the Heroicons package (installed with pip, inlined as SVG).

``{% icon "inbox" %}`` renders the 16 px "micro" drawing, hidden from assistive technology:
every icon stands beside a text that says the same, so a screen reader reads the text once.
An empty name renders nothing, so a registry entry without an icon needs no ``{% if %}``.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from heroicons.templatetags.heroicons import heroicon_micro

register = template.Library()


@register.simple_tag
def icon(name: str, extra_class: str = "") -> str:
    return _drawn(name, extra_class) if name else ""


# The zoom draws one icon per action and per article button: parse each SVG once a process.
@lru_cache(maxsize=256)
def _drawn(name: str, extra_class: str) -> str:
    css = f"icon {extra_class}".strip()
    # focusable: old Edge/IE would otherwise stop on the SVG while tabbing.
    attrs = {"class": css, "aria_hidden": "true", "focusable": "false"}
    return heroicon_micro(name, size=16, **attrs)
