"""The customer's own configuration items, read-only (only with ``CMDB_CUSTOMER_PORTAL``):
the CMDB's access entry decides which (their company or themselves in the CI's company or
owner attribute); with the setting off the pages do not exist (404)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cmdb import access, file_views, selectors
from otrs.web.pagination import paginate

from ..decorators import customer_required
from ..tables import Cell, Row, Table

PER_PAGE = 25


def portal_shows_configitems() -> bool:
    return bool(settings.CMDB_CUSTOMER_PORTAL)


def _require_setting() -> None:
    if not portal_shows_configitems():
        raise Http404("The portal does not list configuration items.")


def _table(configitems) -> Table:
    def url(ci) -> str:
        return reverse("customer:configitem", args=[ci.pk])

    return Table(
        caption=_("Configuration items"),
        columns=[_("Number"), _("Name"), _("Class"), _("Deployment state"), _("Incident state")],
        rows=[
            Row(
                [
                    Cell(ci.number, url=url(ci)),
                    Cell(ci.name, url=url(ci)),
                    Cell(_(ci.ci_class.name)),
                    Cell(_(ci.deployment_state.name)),
                    Cell(
                        _(ci.current_incident_state.name),
                        badge=selectors.incident_class(ci.current_incident_state),
                    ),
                ],
                key=str(ci.pk),
            )
            for ci in configitems
        ],
        empty=_("No configuration items are registered for you."),
    )


@customer_required
@require_safe
def index(request):
    _require_setting()
    found = (
        access.visible_to(request.user)
        .select_related("ci_class", "deployment_state", "current_incident_state")
        .order_by("ci_class__name", "name", "pk")
    )
    page = paginate(found, number=request.GET.get("page"), per_page=PER_PAGE)
    context = {"page": page, "table": _table(page.rows)}
    return render(request, "customer_portal/configitems.html", context)


@customer_required
@require_safe
def detail(request, pk: int):
    _require_setting()
    ci = access.get_or_404(request.user, pk)
    context = {
        "ci": ci,
        "state_class": selectors.incident_class(ci.current_incident_state),
        "rows": selectors.customer_values(ci),
        "tickets": selectors.customer_tickets(request.user, ci),
    }
    return render(request, "customer_portal/configitem.html", context)


@customer_required
@require_safe
def file(request, file_pk: int):
    """A file of one of the customer's own CIs (missing and forbidden alike: 404)."""
    _require_setting()
    return file_views.file_response(file_views.file_or_404(request.user, file_pk))
