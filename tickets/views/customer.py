"""Changing a ticket's customer, and the customer user autocomplete."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey
from otrs.web.params import text_param

from .. import access, actions
from ..forms.customer import CustomerForm, customer_label, search_customer_users
from ..models import Ticket
from .ticket_screen import acl_action, ticket_screen

TEMPLATES = "tickets/screens/"
RW = PermissionKey.RW


def _data(request):
    return (request.POST, request.FILES) if request.method == "POST" else ()


@agent_required
@acl_action("customer")
def customer(request, pk):
    """Change the customer. Without JavaScript, ``?q=`` lists matching customer users whose
    links fill the form (``?customer_user=&customer_id=``); with it, the field autocompletes."""
    ticket = access.get_or_404(request.user, pk, RW)
    picked = {k: request.GET[k] for k in ("customer_user", "customer_id") if k in request.GET}
    form = CustomerForm(*_data(request), ticket=ticket, initial=picked)
    query = text_param(request.GET, "q")
    matches = [
        (found, customer_label(found), _pick_url(ticket, found))
        for found in search_customer_users(query)
    ]

    def act(data):
        actions.set_customer(
            ticket,
            customer_id=data["customer_id"],
            customer_user=data["customer_user"],
            actor=request.user,
            expected_version=form.expected_version(),
        )

    return ticket_screen(
        request,
        ticket,
        form,
        TEMPLATES + "customer.html",
        act,
        done=lambda _outcome: _("Customer changed."),
        query=query,
        matches=matches,
    )


def _pick_url(ticket: Ticket, found) -> str:
    # Always with a customer id, empty for a customer user without a company: else the
    # field would keep the ticket's old id, which may be another company's.
    company_id = found.company.customer_id if found.company_id else ""
    chosen = {"customer_user": found.login, "customer_id": company_id}
    return f"{reverse('agent:customer', args=[ticket.pk])}?{urlencode(chosen)}"


# What a JSON answer must not carry as is, so that no browser can read it as HTML.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@agent_required
@require_GET
def customer_autocomplete(request):
    """``{"results": [{"value": login, "label": "Name <email> (company)"}]}``, at most 20."""
    results = [
        {"value": found.login, "label": customer_label(found)}
        for found in search_customer_users(text_param(request.GET, "q"))
    ]
    body = json.dumps({"results": results}).translate(_JSON_ESCAPES)
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("tickets/<int:pk>/customer/", customer, name="customer"),
    path("customers/autocomplete/", customer_autocomplete, name="customer_autocomplete"),
]
