"""What the installed apps contribute to the admin dashboard (``/admin/``).

Every installed app, a domain app or an extension package named in ``EXTRA_APPS``, may ship an
``admin_modules`` module. The dashboard finds it (as the agent portal finds ``agent_urls``)
and reads:

``modules``
    :class:`AdminModule` items: one link each on the dashboard, in the OTRS group named by
    ``category`` (:class:`Category`), with a one-line description the search box searches.
``panels``
    ``{slot: [callable]}``: boxes the dashboard shows in a named slot. The dashboard offers
    ``"dashboard"`` (above the modules: health, backups, warnings). Each callable takes the
    request and returns HTML (escaped by the app, e.g. from ``render_to_string``) or ``""``.

So FAQ, CMDB, automation, calendars, custom fields and mail accounts appear on the dashboard
without a change to ``admin_portal``; an operations package registers its health and backup
pages the same way. Nothing here imports a domain app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

MODULE = "admin_modules"


class Category(models.TextChoices):
    """The dashboard's groups, in OTRS's order."""

    USERS = "users", _("Users, groups and roles")
    TICKETS = "tickets", _("Ticket settings")
    COMMUNICATION = "communication", _("Communication and notifications")
    AUTOMATION = "automation", _("Processes and automation")
    CMDB_FAQ = "cmdb_faq", _("CMDB and FAQ")
    ADMINISTRATION = "administration", _("Administration")


@dataclass(frozen=True)
class AdminModule:
    """One module of the admin dashboard: a link, its label and a one-line description."""

    # A stable name: the tile's ``id`` and the key tests and search use.
    key: str
    label: Any  # a (lazily) translated string
    description: Any  # one line, (lazily) translated
    url_name: str  # "admin:tickets_queue_changelist"
    category: str = Category.ADMINISTRATION
    order: int = 100
    # Who sees the module: Django permission names ("tickets.view_queue"), any one of them
    # suffices; empty: every admin. The page behind it checks its own rules: a hidden link is
    # no access control.
    permissions: tuple[str, ...] = ()
    # Query string appended to the link ("kind__exact=agent").
    query: str = ""

    def is_visible_to(self, user) -> bool:
        if not self.permissions:
            return True
        return any(user.has_perm(permission) for permission in self.permissions)

    @property
    def url(self) -> str:
        try:
            url = reverse(self.url_name)
        except NoReverseMatch:
            return ""
        return f"{url}?{self.query}" if self.query else url

    def matches(self, text: str) -> bool:
        """Whether the search text occurs in the label or description (as displayed)."""
        needle = text.casefold()
        return needle in str(self.label).casefold() or needle in str(self.description).casefold()


@dataclass(frozen=True)
class Contribution:
    app_label: str
    modules: tuple[AdminModule, ...]
    panels: dict[str, list[Callable[..., str]]]


def contributions() -> tuple[Contribution, ...]:
    """The ``admin_modules`` of the installed apps, in ``INSTALLED_APPS`` order."""
    return _discover(tuple(config.name for config in apps.get_app_configs()))


@lru_cache(maxsize=4)
def _discover(app_names: tuple[str, ...]) -> tuple[Contribution, ...]:
    # Keyed by the installed apps, so a test that changes them never sees a stale list.
    found = []
    owners: dict[str, str] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, MODULE):
            continue
        module = import_module(f"{config.name}.{MODULE}")
        modules = tuple(getattr(module, "modules", ()))
        for entry in modules:
            if entry.key in owners:
                raise ImproperlyConfigured(
                    f"Admin module {entry.key!r} of the app {config.label!r} is already "
                    f"declared by {owners[entry.key]!r}; choose another key."
                )
            if entry.category not in Category.values:
                raise ImproperlyConfigured(
                    f"Admin module {entry.key!r}: unknown category {entry.category!r}."
                )
            owners[entry.key] = config.label
        found.append(Contribution(config.label, modules, dict(getattr(module, "panels", {}))))
    return tuple(found)


@dataclass(frozen=True)
class Section:
    """One group of the dashboard with the modules the admin sees in it."""

    category: str
    label: Any
    modules: list[AdminModule]


def sections_for(user, search: str = "") -> list[Section]:
    """The dashboard's groups (in OTRS's order) with the user's modules; with ``search``,
    only the modules whose label or description contains it, and no empty group."""
    visible = [
        entry
        for contribution in contributions()
        for entry in contribution.modules
        if entry.is_visible_to(user) and (not search or entry.matches(search))
    ]
    sections = []
    for value, label in Category.choices:
        entries = sorted(
            (entry for entry in visible if entry.category == value),
            key=lambda entry: (entry.order, str(entry.label).casefold()),
        )
        if entries:
            sections.append(Section(value, label, entries))
    return sections


def panels_for(slot: str) -> list[Callable[..., str]]:
    """The panel callables the installed apps offer for ``slot``, in app order."""
    return [panel for c in contributions() for panel in c.panels.get(slot, [])]
