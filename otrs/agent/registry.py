"""What the installed apps contribute to the agent portal.

Every installed app, a domain app or an extension package named in ``EXTRA_APPS``, may ship an
``agent_urls`` module. The shell finds it (as Django's admin finds ``admin`` modules) and reads:

``urlpatterns``
    Screens, mounted under ``/agent/`` in the ``agent`` namespace (or in a namespace of their
    own below it when the module sets ``app_name``). The shell lets only agents through to any
    of them, whatever the view itself checks.
``menu``
    :class:`MenuEntry` items of the main navigation.
``preferences``
    :class:`otrs.agent.preferences.PreferencesSection` subclasses, shown on the agent's
    preferences page below the general settings.
``search``
    A :class:`SearchBox` for the search field of the top bar (the first app that declares one).
``counters``
    The URL name of a JSON endpoint with the agent's live counters (the first app that
    declares one): ``{"totals": {key: n}, "queues": {queue_id: n}}``. Pages poll it with
    JavaScript and fill every ``[data-counter=key]``, such as a menu entry's ``counter``.
``panels``
    ``{slot: [callable]}``: boxes another app's page shows in a named slot (the ticket zoom
    offers ``"ticket_zoom"``). Each callable takes the request and the page's object and
    returns HTML (escaped by the app, e.g. from ``render_to_string``) or ``""``; the page
    renders them with the ``agent_panels`` tag, so it never imports the app. The shell's
    own layout offers ``"topbar"`` (beside the user menu, on every page; the object is
    ``None``).

Nothing here imports a domain app: the shell knows the apps only through these modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

MODULE = "agent_urls"


@dataclass(frozen=True)
class MenuEntry:
    """One link of the agent portal's main navigation."""

    # A stable name: the link's ``data-nav``; a page whose context sets ``nav`` to it marks
    # the entry as the current one.
    key: str
    label: Any  # a (lazily) translated string
    url_name: str  # "agent:queues"
    order: int = 100
    # Who sees the entry, given the signed-in agent; None: every agent. The entry's pages
    # check the same rule themselves: a hidden link is no access control.
    visible: Callable[[Any], bool] | None = None
    # "g" then this key follows the link.
    shortcut: str = ""
    # Further view names on which the entry is the current one (besides url_name).
    current_for: tuple[str, ...] = ()
    # A (lazily) translated label: entries with the same one share a drop-down menu of the
    # navigation, at the place of the first of them ("New ticket": phone, email), so the
    # bar stays one line at 1,400 px whatever the language. None: a link of its own.
    group: Any = None
    # The key of a live counter (see ``counters`` above) shown beside the label, filled by
    # JavaScript; "": none. Nothing is counted while the page renders.
    counter: str = ""
    # A Heroicons name drawn before the label ("" for none), and the one of the drop-down
    # menu when the entry opens a group (the first entry of the group that names one wins).
    icon: str = ""
    group_icon: str = ""

    def is_visible_to(self, user) -> bool:
        return self.visible is None or bool(self.visible(user))

    def is_current(self, view_name: str | None, nav: str | None) -> bool:
        return nav == self.key or view_name in (self.url_name, *self.current_for)


@dataclass(frozen=True)
class SearchBox:
    """The top bar's search field: a GET form to ``url_name`` with the text in ``field``."""

    url_name: str
    label: Any
    placeholder: Any
    field: str = "q"


@dataclass(frozen=True)
class Contribution:
    """One app's ``agent_urls`` module, as the shell reads it."""

    app_label: str
    module: ModuleType

    @property
    def urlpatterns(self) -> list:
        return list(getattr(self.module, "urlpatterns", []))

    @property
    def namespace(self) -> str | None:
        return getattr(self.module, "app_name", None)

    @property
    def menu(self) -> list[MenuEntry]:
        return list(getattr(self.module, "menu", []))

    @property
    def preferences(self) -> list[type]:
        return list(getattr(self.module, "preferences", []))

    @property
    def search(self) -> SearchBox | None:
        return getattr(self.module, "search", None)

    @property
    def counters(self) -> str | None:
        return getattr(self.module, "counters", None)

    @property
    def panels(self) -> dict[str, list[Callable[..., str]]]:
        return dict(getattr(self.module, "panels", {}))


def contributions() -> tuple[Contribution, ...]:
    """The ``agent_urls`` modules of the installed apps, in ``INSTALLED_APPS`` order."""
    return _discover(tuple(config.name for config in apps.get_app_configs()))


@lru_cache(maxsize=4)
def _discover(app_names: tuple[str, ...]) -> tuple[Contribution, ...]:
    # Keyed by the installed apps, so a test that changes them never sees a stale list.
    found = []
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, MODULE):
            module = import_module(f"{config.name}.{MODULE}")
            found.append(Contribution(config.label, module))
    check_menu_keys(found)
    return tuple(found)


def check_menu_keys(found: list[Contribution]) -> None:
    """Two apps declaring one menu key would fight over data-nav and the current mark."""
    owners: dict[str, str] = {}
    for contribution in found:
        for entry in contribution.menu:
            if entry.key in owners:
                raise ImproperlyConfigured(
                    f"Menu entry {entry.key!r} of the app {contribution.app_label!r} is "
                    f"already declared by {owners[entry.key]!r}; choose another key."
                )
            owners[entry.key] = contribution.app_label


def menu_for(user) -> list[MenuEntry]:
    """The navigation a signed-in agent sees, in order."""
    entries = [entry for c in contributions() for entry in c.menu if entry.is_visible_to(user)]
    return sorted(entries, key=lambda entry: entry.order)


def preference_sections() -> list[type]:
    return [section for c in contributions() for section in c.preferences]


def search_box() -> SearchBox | None:
    return next((c.search for c in contributions() if c.search is not None), None)


def counters_url_name() -> str | None:
    """The URL name of the live counters' endpoint (the first app that declares one)."""
    return next((c.counters for c in contributions() if c.counters), None)


def panels_for(slot: str) -> list[Callable[..., str]]:
    """The panel callables the installed apps offer for ``slot``, in app order."""
    return [panel for c in contributions() for panel in c.panels.get(slot, [])]
