"""New phone ticket and new email ticket.

Both screens create the ticket and its first article with one call of
:func:`tickets.actions.create_ticket`, which is atomic: a refusal leaves nothing behind.

The email ticket is *stored, not sent*: outgoing mail is wired by the mail issue. Until then
the ticket and the agent's email article are saved (history EmailAgent) and the agent is told
plainly that no mail left the system.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from otrs.accounts.decorators import agent_required
from otrs.errors import DomainError
from tickets import actions
from tickets.forms.create import ERROR_FIELDS, EmailTicketForm, PhoneTicketForm


@agent_required
def new_phone_ticket(request):
    return _new_ticket(
        request,
        PhoneTicketForm,
        "tickets/create/phone.html",
        _("Ticket %(number)s created."),
    )


@agent_required
def new_email_ticket(request):
    return _new_ticket(
        request,
        EmailTicketForm,
        "tickets/create/email.html",
        _(
            "Ticket %(number)s created. The email is stored on the ticket but was not sent: "
            "outgoing mail is not set up yet."
        ),
    )


def _new_ticket(request, form_class, template: str, done: str):
    bound = request.method == "POST"
    form = form_class(request.user, request.POST if bound else None, request.FILES or None)
    if bound and form.is_valid():
        try:
            ticket = actions.create_ticket(**form.create_kwargs(), actor=request.user)
        except DomainError as error:
            form.add_error(ERROR_FIELDS.get(error.code), error.message)
        else:
            messages.success(request, done % {"number": ticket.number})
            return redirect("agent:zoom", ticket.pk)
    return render(request, template, {"form": form}, status=400 if bound else 200)


urlpatterns = [
    path("tickets/new/phone/", new_phone_ticket, name="new_phone_ticket"),
    path("tickets/new/email/", new_email_ticket, name="new_email_ticket"),
]
