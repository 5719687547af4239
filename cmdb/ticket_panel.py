"""The CMDB's panel on the agent's ticket zoom: the ticket's configuration items with their
incident state, a form to link one more (by number or name) and a button per link to remove
it, and a refresh button. Each form posts here and comes back to the zoom (a full page without
JavaScript); with it, agent.js swaps in just the panel (``data-partial``), so the panel shows
the states as they are after the change."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey
from tickets import access as ticket_access

from . import access, actions, selectors
from .choices import TICKET_LINK_TYPES, LinkType
from .models import TicketLink

RW = PermissionKey.RW
REGION = "zoom-cis"


class PanelLinkForm(forms.Form):
    configitem = forms.CharField(
        label=gettext_lazy("Configuration item (number or name)"), max_length=250
    )
    link_type = forms.ChoiceField(
        label=gettext_lazy("Link type"),
        choices=[(t.value, t.label) for t in TICKET_LINK_TYPES],
        initial=LinkType.RELEVANT_TO,
    )


def render_panel(request, ticket) -> str:
    links = selectors.ticket_links(request.user, ticket)
    writable = set(access.classes_for(request.user, RW).values_list("pk", flat=True))
    if not links and not writable:
        return ""
    rows = [
        {
            "link": link,
            "ci": link.configitem,
            "label": LinkType(link.link_type).label,
            "css": selectors.incident_class(link.configitem.current_incident_state),
            "may_unlink": link.configitem.ci_class_id in writable,
        }
        for link in links
    ]
    context = {
        "ticket": ticket,
        "rows": rows,
        "region": REGION,
        "form": PanelLinkForm(prefix="cmdb") if writable else None,
    }
    return render_to_string("cmdb/_ticket_zoom_panel.html", context, request=request)


def _back(ticket_pk: int):
    return redirect(reverse("agent:zoom", args=[ticket_pk]) + "#" + REGION)


def _ticket(request, pk: int):
    # The ticket through its own domain's access entry: one the agent may not see is missing.
    return ticket_access.get_or_404(request.user, pk)


@agent_required
def refresh(request, pk: int):
    """The panel's Refresh button: back to the zoom. A link to the zoom itself would only
    scroll to the panel (the same page with a fragment is not loaded again)."""
    return _back(_ticket(request, pk).pk)


@agent_required
@require_POST
def link(request, pk: int):
    ticket = _ticket(request, pk)
    form = PanelLinkForm(request.POST, prefix="cmdb")
    if not form.is_valid():
        messages.error(request, _("Enter the number or name of a configuration item."))
        return _back(ticket.pk)
    text = form.cleaned_data["configitem"].strip()
    found = list(
        access.visible_to(request.user, RW).filter(Q(number=text) | Q(name=text)).order_by("pk")[:2]
    )
    try:
        if not found:
            raise DomainError(
                _("No such configuration item: %(text)s.") % {"text": text},
                code=ErrorCode.NOT_ALLOWED,
            )
        if len(found) > 1:
            raise DomainError(
                _("Several configuration items are named %(text)s: enter the number.")
                % {"text": text},
                code=ErrorCode.NOT_ALLOWED,
            )
        actions.link_ticket(found[0], ticket.pk, form.cleaned_data["link_type"], actor=request.user)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("%(name)s linked to the ticket.") % {"name": found[0].name})
    return _back(ticket.pk)


@agent_required
@require_POST
def unlink(request, pk: int, link_pk: int):
    ticket = _ticket(request, pk)
    link_row = (
        TicketLink.objects.filter(
            pk=link_pk, ticket=ticket, configitem__in=access.visible_to(request.user, RW)
        )
        .select_related("configitem")
        .first()
    )
    if link_row is None:
        raise Http404("No such link.")
    actions.unlink_ticket(link_row, actor=request.user)
    messages.success(request, _("Link removed."))
    return _back(ticket.pk)
