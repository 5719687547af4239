"""The free-fields screen (OTRS "Free Fields"): an agent with ``rw`` changes the title, type,
service, SLA and custom fields of a ticket in one form, through one action
(:func:`tickets.actions.change_free_fields`); edit conflicts as every ticket form."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from otrs.accounts.decorators import agent_required
from otrs.permissions import PermissionKey

from .. import access, actions
from ..automation import acl
from ..fields import field_values_from
from ..forms.fields import FreeFieldsForm
from .changes import Screen
from .ticket_screen import acl_action, ticket_screen


def _act(ticket, data, actor, seen):
    return actions.change_free_fields(
        ticket,
        title=data["title"],
        ticket_type=data["type"],
        service=data["service"],
        sla=data["sla"],
        field_values=field_values_from(data),
        actor=actor,
        expected_version=seen,
    )


SCREEN = Screen(
    need=PermissionKey.RW,
    form_class=FreeFieldsForm,
    act=_act,
    title=_("Free fields"),
    submit=_("Save"),
    done=_("Fields of ticket %(number)s saved."),
)


@agent_required
@require_http_methods(["GET", "POST"])
@acl_action("free_fields")
def free_fields(request, pk: int):
    ticket = access.get_or_404(request.user, pk, SCREEN.need)
    data = (request.POST,) if request.method == "POST" else ()
    form = FreeFieldsForm(*data, ticket=ticket, user=request.user)
    acl.restrict_form(form, user=request.user, screen="free_fields", tickets=[ticket])
    return ticket_screen(
        request,
        ticket,
        form,
        SCREEN.template,
        lambda cleaned: _act(ticket, cleaned, request.user, form.expected_version()),
        done=lambda _outcome: SCREEN.done % {"number": ticket.number},
        screen=SCREEN,
    )


urlpatterns = [path("tickets/<int:pk>/free-fields/", free_fields, name="free_fields")]
