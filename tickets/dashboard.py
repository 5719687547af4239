"""The dashboard's widgets, which each agent adds, removes and orders on the preferences
page (:class:`tickets.agent_preferences.DashboardPreferences`); the choice is kept on the
user (``User.dashboard_widgets``, no query). Only the chosen widgets are queried."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class WidgetKind:
    key: str
    title: Promise
    url_name: str
    query: str = ""  # appended to the overview's URL
    show_pending: bool = False
    show_escalation: bool = False
    icon: str = ""  # the Heroicons name before the heading


WIDGETS = (
    WidgetKind("locked", _("My locked tickets"), "agent:locked", icon="lock-closed"),
    WidgetKind("new", _("New tickets in my queues"), "agent:status", "?view=new", icon="inbox"),
    WidgetKind(
        "reminders",
        _("Reminder reached"),
        "agent:status",
        "?view=reminders",
        show_pending=True,
        icon="bell-alert",
    ),
    WidgetKind("watched", _("Watched tickets"), "agent:watched", icon="eye"),
    WidgetKind(
        "escalated",
        _("Escalated and soon escalating tickets"),
        "agent:status",
        "?view=open&sort=escalation",
        show_escalation=True,
        icon="fire",
    ),
)
BY_KEY = {kind.key: kind for kind in WIDGETS}


def chosen(user) -> list[WidgetKind]:
    """The agent's widgets in order; without a choice, all of them."""
    keys = [k for k in (getattr(user, "dashboard_widgets", None) or []) if k in BY_KEY]
    return [BY_KEY[k] for k in keys] if keys else list(WIDGETS)
