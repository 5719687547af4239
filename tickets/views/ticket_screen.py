"""The flow every per-ticket action screen shares: :func:`otrs.action_flow.form_screen` with
the ticket's page around the form and its edit conflicts shown.

A screen fetches its ticket through :func:`tickets.access.get_or_404` with the key it needs
(a refused agent sees the same 404 as for a missing ticket), builds its form, and hands both
to :func:`ticket_screen` with ``act`` (one action, given the cleaned data; it gets the
version the agent saw from the form) and the success message. When the action answers with
an :class:`~tickets.actions.EditConflict` (others changed the ticket since the form was
opened), the form comes back with their changes and the current version (409), so that a
second submit knowingly applies the change. The template also gets the refusal itself
(``refusal``: None after a GET or a success) for what a screen says about its own kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.shortcuts import render
from django.urls import reverse

from otrs.action_flow import form_screen
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from .. import access, history
from ..actions import EditConflict
from ..automation import acl
from ..models import Ticket


def after_change_url(user, ticket: Ticket) -> str:
    """The zoom, unless the change took the ticket out of the agent's sight (a move)."""
    if access.can(user, ticket, PermissionKey.RO):
        return reverse("agent:zoom", args=[ticket.pk])
    return reverse("agent:dashboard")


def ticket_page(request, template: str, ticket: Ticket, form, *, status: int = 200, **context):
    """A ticket screen's page: the ticket, the form, and what else the template shows."""
    values = {"ticket": ticket, "form": form, "changes": (), **context}
    return render(request, template, values, status=status)


def ticket_screen(
    request,
    ticket: Ticket,
    form,
    template: str,
    act: Callable[[dict], Any],
    *,
    done: Callable[[Any], str],
    refused_status: int = 400,
    **context,
):
    """GET shows ``form`` on ``template``; POST runs ``act`` and redirects with ``done``'s
    message (see the module docstring)."""

    def page(form, *, status: int = 200, error: DomainError | None = None):
        changes: Sequence[tuple[Any, str]] = ()
        if error is not None:
            ticket.refresh_from_db()  # the rolled-back action may have updated our copy
            if isinstance(error, EditConflict):
                form.show_conflict(error)
                changes = history.describe(error.changes)
        values = {**context, "changes": changes, "refusal": error}
        return ticket_page(request, template, ticket, form, status=status, **values)

    return form_screen(
        request,
        form,
        act,
        done=lambda outcome: (done(outcome), after_change_url(request.user, ticket)),
        render=page,
        refused_status=refused_status,
    )


def acl_action(action: str, *, template: str = "tickets/acl_refused.html"):
    """Decorate a screen of the ACL action ``action`` (:data:`tickets.automation.acl.ACTIONS`):
    when the ACLs take it away (evaluated with ``screen`` the action's name, on the ticket
    of the URL's ``pk`` if there is one), the screen answers a refusal page (403) saying so
    and does nothing. Without a rule that changes actions it costs nothing (no query).

    Put it inside the sign-in gate; the ticket is read with ``ro``, so who may not see the
    ticket gets the 404 the screen itself would answer."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if acl.restricts_actions():
                ticket = None
                if "pk" in kwargs:
                    ticket = access.get_or_404(request.user, kwargs["pk"], PermissionKey.RO)
                try:
                    acl.check_action(action, user=request.user, tickets=[ticket])
                except DomainError as error:
                    context = {"ticket": ticket, "message": error.message}
                    return render(request, template, context, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
