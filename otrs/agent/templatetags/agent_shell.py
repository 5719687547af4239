"""The agent layout's navigation and search field, rendered from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse

from otrs.agent import registry

register = template.Library()


@dataclass(frozen=True)
class MenuLink:
    key: str
    label: Any
    url: str
    shortcut: str
    current: bool


@register.simple_tag(takes_context=True)
def agent_menu(context) -> list[MenuLink]:
    """The main navigation for the signed-in agent; the entry of this page marked current."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else None
    nav = context.get("nav")
    return [
        MenuLink(
            entry.key,
            entry.label,
            reverse(entry.url_name),
            entry.shortcut,
            entry.is_current(view_name, nav),
        )
        for entry in registry.menu_for(user)
    ]


@register.simple_tag
def agent_search_box() -> registry.SearchBox | None:
    return registry.search_box()
