"""The agent's CMDB screens, their menu entry and the ticket zoom's "Configuration items"
box. Mounted under /agent/ by the portal's shell in the ``agent`` namespace."""

from django.template.loader import render_to_string
from django.urls import path
from django.utils.translation import gettext_lazy as _

from otrs.agent.registry import MenuEntry

from . import (
    csv_views,
    definition_views,
    file_views,
    link_views,
    selectors,
    ticket_panel,
    views,
)

urlpatterns = [
    path("cmdb/", views.overview, name="cmdb"),
    path("cmdb/items/", views.ci_list, name="cmdb_list"),
    path("cmdb/items/bulk/", views.bulk, name="cmdb_bulk"),
    path("cmdb/items/export.csv", csv_views.export, name="cmdb_export"),
    path("cmdb/import/", csv_views.import_csv, name="cmdb_import"),
    path("cmdb/classes/<int:class_pk>/new/", views.ci_add, name="cmdb_add"),
    path(
        "cmdb/classes/<int:class_pk>/definition/",
        definition_views.definition,
        name="cmdb_definition",
    ),
    path(
        "cmdb/classes/<int:class_pk>/definition.json",
        definition_views.export,
        name="cmdb_definition_export",
    ),
    path(
        "cmdb/classes/<int:class_pk>/definition/attributes/new/",
        definition_views.add,
        name="cmdb_attribute_add",
    ),
    path(
        "cmdb/classes/<int:class_pk>/definition/attributes/<int:attribute_pk>/",
        definition_views.edit,
        name="cmdb_attribute",
    ),
    path(
        "cmdb/classes/<int:class_pk>/definition/attributes/<int:attribute_pk>/move/",
        definition_views.move,
        name="cmdb_attribute_move",
    ),
    path("cmdb/items/<int:pk>/", views.ci_page, name="cmdb_ci"),
    path("cmdb/items/<int:pk>/edit/", views.ci_edit, name="cmdb_edit"),
    path("cmdb/items/<int:pk>/copy/", views.ci_copy, name="cmdb_copy"),
    path("cmdb/items/<int:pk>/print/", views.ci_print, name="cmdb_print"),
    path("cmdb/items/<int:pk>/graph.svg", views.ci_graph, name="cmdb_graph"),
    path("cmdb/items/<int:pk>/diff/", views.version_diff, name="cmdb_diff"),
    path("cmdb/items/<int:pk>/links/", views.ci_links, name="cmdb_ci_links"),
    path("cmdb/items/<int:pk>/link/", views.ci_link, name="cmdb_link"),
    path("cmdb/items/<int:pk>/links/<int:link_pk>/remove/", views.ci_unlink, name="cmdb_unlink"),
    path("cmdb/items/<int:pk>/tickets/link/", views.ci_link_ticket, name="cmdb_link_ticket"),
    path("cmdb/items/<int:pk>/faq/link/", link_views.link_faq, name="cmdb_link_faq"),
    path("cmdb/items/<int:pk>/files/add/", file_views.upload, name="cmdb_file_add"),
    path(
        "cmdb/items/<int:pk>/files/<int:file_pk>/remove/",
        file_views.remove,
        name="cmdb_file_remove",
    ),
    path("cmdb/files/<int:file_pk>/", file_views.download, name="cmdb_file"),
    path(
        "cmdb/items/<int:pk>/faq/<int:link_pk>/remove/",
        link_views.unlink_faq,
        name="cmdb_unlink_faq",
    ),
    path("cmdb/items/<int:pk>/services/link/", link_views.link_service, name="cmdb_link_service"),
    path(
        "cmdb/items/<int:pk>/services/<int:link_pk>/remove/",
        link_views.unlink_service,
        name="cmdb_unlink_service",
    ),
    path("cmdb/tickets/<int:pk>/", ticket_panel.refresh, name="cmdb_ticket_panel"),
    path("cmdb/tickets/<int:pk>/link/", ticket_panel.link, name="cmdb_ticket_link"),
    path(
        "cmdb/tickets/<int:pk>/tickets/<int:link_pk>/remove/",
        ticket_panel.unlink,
        name="cmdb_ticket_unlink",
    ),
    path(
        "cmdb/items/<int:pk>/tickets/<int:link_pk>/remove/",
        views.ci_unlink_ticket,
        name="cmdb_unlink_ticket",
    ),
]


# Every agent sees the entry (as "Customers"): asking whether they may see a class would cost
# a query on every agent page; the pages themselves show only the classes they may see.
menu = [MenuEntry("cmdb", _("CMDB"), "agent:cmdb", order=75, icon="server-stack")]


def _faq_item_panel(request, item) -> str:
    cis = selectors.configitems_of_faq_item(request.user, item.pk)
    if not cis:
        return ""
    return render_to_string(
        "cmdb/_ticket_panel.html",
        {
            "rows": [
                (ci, ci.number, selectors.incident_class(ci.current_incident_state)) for ci in cis
            ]
        },
        request=request,
    )


panels = {"ticket_zoom": [ticket_panel.render_panel], "faq_item": [_faq_item_panel]}
