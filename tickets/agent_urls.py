"""The ticket screens of the agent portal, their menu entries, preferences and search field.

Mounted under /agent/ by the portal's shell (:mod:`otrs.agent.registry`), in the ``agent``
namespace: ``agent:zoom``, ``agent:queues`` and so on.
"""

from django.utils.translation import gettext_lazy as _

from otrs.agent.registry import MenuEntry, SearchBox

from .access import can_view_reports
from .agent_preferences import ColumnPreferences, DashboardPreferences, TicketPreferences
from .views import (
    bounce,
    bulk,
    changes,
    compose,
    create,
    customer,
    drafts,
    faq_links,
    free_fields,
    links,
    merge,
    overviews,
    presence,
    processes,
    reports,
    split,
    web_notifications,
    zoom,
)
from .views import counters as counter_views
from .views import search as search_views

urlpatterns = [
    *overviews.urlpatterns,
    *counter_views.urlpatterns,
    *zoom.urlpatterns,
    *presence.urlpatterns,
    *changes.urlpatterns,
    *free_fields.urlpatterns,
    *links.urlpatterns,
    *faq_links.urlpatterns,
    *merge.urlpatterns,
    *customer.urlpatterns,
    *compose.urlpatterns,
    *drafts.urlpatterns,
    *create.urlpatterns,
    *split.urlpatterns,
    *bounce.urlpatterns,
    *processes.urlpatterns,
    *bulk.urlpatterns,
    *search_views.urlpatterns,
    *reports.urlpatterns,
    *web_notifications.urlpatterns,
]

menu = [
    MenuEntry("dashboard", _("Dashboard"), "agent:dashboard", order=10, shortcut="d", icon="home"),
    MenuEntry(
        "queues",
        _("Queues"),
        "agent:queues",
        order=20,
        shortcut="q",
        counter="queues",
        icon="inbox-stack",
    ),
    MenuEntry("status", _("Status"), "agent:status", order=30, shortcut="s", icon="chart-pie"),
    MenuEntry(
        "locked",
        _("Locked"),
        "agent:locked",
        order=40,
        shortcut="l",
        counter="locked",
        icon="lock-closed",
    ),
    MenuEntry(
        "watched",
        _("Watched"),
        "agent:watched",
        order=50,
        shortcut="w",
        counter="watched",
        icon="eye",
    ),
    MenuEntry(
        "responsible", _("Responsible"), "agent:responsible", order=60, shortcut="r", icon="user"
    ),
    MenuEntry(
        "new_phone_ticket",
        _("New phone ticket"),
        "agent:new_phone_ticket",
        order=80,
        group=_("New ticket"),
        icon="phone",
        group_icon="plus-circle",
    ),
    MenuEntry(
        "new_email_ticket",
        _("New email ticket"),
        "agent:new_email_ticket",
        order=90,
        group=_("New ticket"),
        icon="envelope",
    ),
    MenuEntry(
        "new_process_ticket",
        _("New process ticket"),
        "agent:process_list",
        order=92,
        group=_("New ticket"),
        icon="arrow-path-rounded-square",
        current_for=("agent:process_start",),
    ),
    MenuEntry(
        "reports",
        _("Reports"),
        "agent:reports",
        order=95,
        icon="chart-bar",
        visible=can_view_reports,
        current_for=("agent:report",),
    ),
]

preferences = [TicketPreferences, DashboardPreferences, ColumnPreferences]

# The bell of the in-app notifications, rendered with every page.
panels = {"topbar": [web_notifications.bell]}

# The live counters of the menu entries, the dashboard and the queue tree.
counters = "agent:counters"

search = SearchBox("agent:search", label=_("Search tickets"), placeholder=_("Search (/)"))
