"""The per-ticket action screens: note, phone calls, close, pending, move, owner, responsible,
priority, lock and unlock, watch and unwatch.

They all have one shape, so each is a :class:`Screen` (the permission key it needs, its form,
the action it calls, its texts) served by :func:`screen_view`:

1. fetch the ticket with :func:`tickets.access.access_ticket` and the screen's key, so a
   refused agent gets the same 404 as for a missing ticket;
2. GET renders the form (POST-only screens answer 405);
3. POST: an invalid form is shown again (400); a ticket changed by someone else since the
   form was opened is shown again with those changes (409) and nothing is done; otherwise
   the screen's action runs in one transaction, a :class:`~otrs.errors.DomainError` rolls
   all of it back and is shown on the form (400), and success redirects to the zoom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from otrs.accounts.decorators import agent_required
from otrs.accounts.models import User
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from .. import access, actions
from ..choices import LockState
from ..forms import ticket_actions as forms
from ..models import Ticket
from . import ticket_actions_more

Act = Callable[[Ticket, dict, User], object]


@dataclass(frozen=True)
class Screen:
    need: str
    form_class: type[forms.TicketActionForm]
    act: Act
    title: Promise
    submit: Promise
    done: Promise  # the success message; may use %(number)s
    # OTRS RequiredLock: an unlocked ticket is first locked to the acting agent.
    required_lock: bool = False
    post_only: bool = False
    template: str = "tickets/actions/form.html"


def screen_view(screen: Screen):
    """The view serving ``screen`` (see the module docstring)."""

    def view(request, pk: int):
        ticket = access.access_ticket(request.user, pk, need=screen.need)
        if request.method != "POST":
            form = screen.form_class(ticket=ticket, user=request.user)
            return _render(request, screen, form)
        form = screen.form_class(request.POST, request.FILES, ticket=ticket, user=request.user)
        if not form.is_valid():
            return _render(request, screen, form, status=400)
        changes = form.conflicts(request.user)
        if changes:
            return _render(request, screen, form, changes=changes, status=409)
        try:
            with transaction.atomic():
                if screen.required_lock:
                    _required_lock(ticket, request.user)
                screen.act(ticket, form.cleaned_data, request.user)
        except DomainError as error:
            ticket.refresh_from_db()  # the rolled-back action may have updated our copy
            form.add_error(None, error.message)
            return _render(request, screen, form, status=400)
        messages.success(request, screen.done % {"number": ticket.number})
        if access.can(request.user, ticket, PermissionKey.RO):
            return redirect("agent:zoom", pk=ticket.pk)
        return redirect("agent:dashboard")  # e.g. moved to a queue the agent cannot read

    methods = require_POST if screen.post_only else require_http_methods(["GET", "POST"])
    return agent_required(methods(view))


def _render(request, screen: Screen, form, *, changes=(), status: int = 200):
    context = {"screen": screen, "ticket": form.ticket, "form": form, "changes": changes}
    return render(request, screen.template, context, status=status)


def _required_lock(ticket: Ticket, actor: User) -> None:
    """OTRS RequiredLock: the screens that need it (close, pending, priority, move, outbound
    phone call) lock an unlocked ticket to the actor first, in the same transaction as the
    change. Only an agent who may lock it (rw on the ticket) and own it (its owner already,
    or the ``owner`` key on the queue) takes the lock; an agent acting by a narrower key
    (``priority``, ``move_into``) changes the ticket without locking it."""
    if ticket.lock != LockState.UNLOCK or not access.can(actor, ticket, PermissionKey.RW):
        return
    if ticket.owner_id == actor.pk or access.can_use_queue(
        actor, ticket.queue, PermissionKey.OWNER
    ):
        actions.lock_ticket(ticket, actor=actor)


# --- what each screen does with its form's cleaned data --------------------------------------


def _add_article(ticket, data, actor):
    actions.add_article(ticket, data["article"], actor=actor)


def _note_first(change: Act) -> Act:
    """The optional note goes in before the change: after it (a move, a new owner) the agent
    may no longer have the ``note`` key on the ticket."""

    def act(ticket, data, actor):
        if data.get("article") is not None:
            actions.add_article(ticket, data["article"], actor=actor)
        change(ticket, data, actor)

    return act


def _close(ticket, data, actor):
    actions.set_state(ticket, data["state"], actor=actor)


def _pending(ticket, data, actor):
    # A missing time (None) is the action's error ("needs a pending time"), like its other rules.
    actions.set_pending(ticket, data["state"], data["pending_until"], actor=actor)


def _move(ticket, data, actor):
    actions.move_ticket(ticket, data["queue"], actor=actor)


def _owner(ticket, data, actor):
    actions.set_owner(ticket, data["owner"], actor=actor)


def _responsible(ticket, data, actor):
    actions.set_responsible(ticket, data["responsible"], actor=actor)


def _priority(ticket, data, actor):
    actions.set_priority(ticket, data["priority"], actor=actor)


def _lock(ticket, data, actor):
    actions.lock_ticket(ticket, actor=actor)


def _unlock(ticket, data, actor):
    actions.unlock_ticket(ticket, actor=actor)


def _watch(ticket, data, actor):
    actions.watch_ticket(ticket, actor=actor)


def _unwatch(ticket, data, actor):
    actions.unwatch_ticket(ticket, actor=actor)


# --- the screens -------------------------------------------------------------------------------

RW = PermissionKey.RW
# URL name -> (path after tickets/<pk>/, screen)
SCREENS: dict[str, tuple[str, Screen]] = {
    "note": (
        "note/",
        Screen(
            need=PermissionKey.NOTE,
            form_class=forms.NoteForm,
            act=_add_article,
            title=_("Add note"),
            submit=_("Add note"),
            done=_("Note added to ticket %(number)s."),
        ),
    ),
    "phone_inbound": (
        "phone/inbound/",
        Screen(
            need=RW,
            form_class=forms.PhoneInboundForm,
            act=_add_article,
            title=_("Phone call from the customer"),
            submit=_("Save the call"),
            done=_("Phone call added to ticket %(number)s."),
        ),
    ),
    "phone_outbound": (
        "phone/outbound/",
        Screen(
            need=RW,
            form_class=forms.PhoneOutboundForm,
            act=_add_article,
            title=_("Phone call to the customer"),
            submit=_("Save the call"),
            done=_("Phone call added to ticket %(number)s."),
            required_lock=True,
        ),
    ),
    "close": (
        "close/",
        Screen(
            need=RW,
            form_class=forms.CloseForm,
            act=_note_first(_close),
            title=_("Close ticket"),
            submit=_("Close"),
            done=_("Ticket %(number)s closed."),
            required_lock=True,
        ),
    ),
    "pending": (
        "pending/",
        Screen(
            need=RW,
            form_class=forms.PendingForm,
            act=_pending,
            title=_("Set pending"),
            submit=_("Set pending"),
            done=_("Ticket %(number)s is pending."),
            required_lock=True,
        ),
    ),
    "move": (
        "move/",
        Screen(
            need=PermissionKey.MOVE_INTO,
            form_class=forms.MoveForm,
            act=_note_first(_move),
            title=_("Move ticket"),
            submit=_("Move"),
            done=_("Ticket %(number)s moved."),
            required_lock=True,
        ),
    ),
    "owner": (
        "owner/",
        Screen(
            need=PermissionKey.OWNER,
            form_class=forms.OwnerForm,
            act=_note_first(_owner),
            title=_("Change owner"),
            submit=_("Change owner"),
            done=_("Owner of ticket %(number)s changed."),
        ),
    ),
    "responsible_change": (
        "responsible/",
        Screen(
            need=RW,
            form_class=forms.ResponsibleForm,
            act=_responsible,
            title=_("Change responsible"),
            submit=_("Change responsible"),
            done=_("Responsible agent of ticket %(number)s changed."),
        ),
    ),
    "priority": (
        "priority/",
        Screen(
            need=PermissionKey.PRIORITY,
            form_class=forms.PriorityForm,
            act=_priority,
            title=_("Change priority"),
            submit=_("Change priority"),
            done=_("Priority of ticket %(number)s changed."),
            required_lock=True,
        ),
    ),
    "lock": (
        "lock/",
        Screen(
            need=RW,
            form_class=forms.TicketActionForm,
            act=_lock,
            title=_("Lock ticket"),
            submit=_("Lock"),
            done=_("Ticket %(number)s locked."),
            post_only=True,
        ),
    ),
    "unlock": (
        "unlock/",
        Screen(
            need=RW,
            form_class=forms.TicketActionForm,
            act=_unlock,
            title=_("Unlock ticket"),
            submit=_("Unlock"),
            done=_("Ticket %(number)s unlocked."),
            post_only=True,
        ),
    ),
    "watch": (
        "watch/",
        Screen(
            need=PermissionKey.RO,
            form_class=forms.TicketActionForm,
            act=_watch,
            title=_("Watch ticket"),
            submit=_("Watch"),
            done=_("You are watching ticket %(number)s."),
            post_only=True,
        ),
    ),
    "unwatch": (
        "unwatch/",
        Screen(
            need=PermissionKey.RO,
            form_class=forms.TicketActionForm,
            act=_unwatch,
            title=_("Stop watching ticket"),
            submit=_("Stop watching"),
            done=_("You no longer watch ticket %(number)s."),
            post_only=True,
        ),
    ),
}

urlpatterns = [
    path(f"tickets/<int:pk>/{suffix}", screen_view(screen), name=name)
    for name, (suffix, screen) in SCREENS.items()
]

# The other half of the action screens (link, merge, customer, composer) has its own module;
# tickets/agent_urls.py reaches its URLs through this list.
urlpatterns += ticket_actions_more.urlpatterns
