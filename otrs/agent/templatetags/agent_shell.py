"""The agent layout's navigation and search field, rendered from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from otrs.agent import registry
from otrs.agent.shortcuts import nav_shortcut

register = template.Library()


@dataclass(frozen=True)
class MenuLink:
    key: str
    label: Any
    url: str
    shortcut: str
    current: bool
    counter: str = ""
    icon: str = ""


@dataclass(frozen=True)
class MenuGroup:
    """Links that share a drop-down menu of the navigation (``MenuEntry.group``)."""

    key: str
    label: Any
    links: list[MenuLink]
    icons: list[str]

    @property
    def icon(self) -> str:
        """The icon of the first entry of the group that names one for it."""
        return next((name for name in self.icons if name), "")

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


@register.simple_tag(takes_context=True)
def agent_menu_items(context) -> list[MenuLink | MenuGroup]:
    """The navigation with grouped entries gathered into one :class:`MenuGroup` each, at the
    place of the group's first entry."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    links = agent_menu(context)
    entries = {entry.key: entry for entry in registry.menu_for(user)}
    items: list[MenuLink | MenuGroup] = []
    groups: dict[str, MenuGroup] = {}
    for link in links:
        label = entries[link.key].group
        if label is None:
            items.append(link)
            continue
        name = str(label)
        if name not in groups:
            groups[name] = MenuGroup(f"group-{link.key}", label, [], [])
            items.append(groups[name])
        groups[name].links.append(link)
        groups[name].icons.append(entries[link.key].group_icon)
    return items


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
            nav_shortcut(user, entry),
            entry.is_current(view_name, nav),
            entry.counter,
            entry.icon,
        )
        for entry in registry.menu_for(user)
    ]


@register.simple_tag
def agent_search_box() -> registry.SearchBox | None:
    return registry.search_box()


@register.simple_tag
def agent_counters_url() -> str:
    """Where the pages' script fetches the live counters from; "" when no app offers them."""
    name = registry.counters_url_name()
    return reverse(name) if name else ""


@register.simple_tag(takes_context=True)
def agent_panels(context, slot: str, obj) -> str:
    """The boxes other apps contribute to ``slot`` of this page (see the registry's
    ``panels``), for ``obj``; each panel escapes what it renders."""
    request = context.get("request")
    if request is None:
        return ""
    parts = [panel(request, obj) for panel in registry.panels_for(slot)]
    return mark_safe("".join(str(part) for part in parts if part))  # noqa: S308
