"""The customer's own configuration items, read-only (only with ``CMDB_CUSTOMER_PORTAL``):
the CMDB's access entry decides which (their company or themselves in the CI's company or
owner attribute); with the setting off the page does not exist (404)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cmdb import access, selectors
from otrs.web.pagination import paginate

from ..decorators import customer_required

PER_PAGE = 25


def portal_shows_configitems() -> bool:
    return bool(settings.CMDB_CUSTOMER_PORTAL)


@customer_required
@require_safe
def index(request):
    if not portal_shows_configitems():
        raise Http404("The portal does not list configuration items.")
    found = (
        access.visible_to(request.user)
        .select_related("ci_class", "deployment_state", "current_incident_state")
        .order_by("ci_class__name", "name", "pk")
    )
    page = paginate(found, number=request.GET.get("page"), per_page=PER_PAGE)
    rows = [(ci, selectors.incident_class(ci.current_incident_state)) for ci in page.rows]
    return render(request, "customer_portal/configitems.html", {"page": page, "rows": rows})
