"""The screens that change one ticket with a form of their own: note, phone calls, close,
pending, move, owner, responsible, priority, lock and unlock, watch and unwatch.

They all have one shape, so each is a :class:`Screen` (the permission key it needs, its form,
the action it calls, its texts) served by :func:`screen_view`: the ticket comes from
:func:`tickets.access.get_or_404` with the screen's key, GET shows the form (POST-only
screens answer 405), and POST goes through :func:`tickets.views.ticket_screen.ticket_screen`:
one action, which checks the version the agent saw (edit conflicts, 409) and, on the screens
that need it, takes OTRS's RequiredLock, all inside its own row lock.

Notes, phone calls and watching add and overwrite nothing, so they are never edit conflicts:
their actions get no expected version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from otrs.accounts.decorators import agent_required
from otrs.accounts.models import User
from otrs.permissions import PermissionKey

from .. import access, actions
from .. import fields as ticket_fields
from ..automation import acl
from ..forms import changes as forms
from ..models import DraftScreen, Ticket
from . import drafts
from .faq_insert import faq_step, is_faq_step
from .ticket_screen import acl_action, ticket_page, ticket_screen

# What a screen does: (ticket, cleaned data, actor, the version the agent saw) -> anything.
Act = Callable[[Ticket, dict, User, str], object]


@dataclass(frozen=True)
class Screen:
    need: str
    form_class: type[forms.TicketActionForm]
    act: Act
    title: Promise
    submit: Promise
    done: Promise  # the success message; may use %(number)s
    post_only: bool = False
    template: str = "tickets/actions/form.html"
    # The custom-field screen (tickets.fields.TicketScreen) whose fields the form also sets.
    fields_screen: str | None = None
    # The screen whose article fields the new article takes (in cleaned["article_fields"]).
    article_screen: str | None = None
    # An FAQ search and insert under the text (tickets.views.faq_insert).
    faq_insert: bool = False
    # The draft screen (tickets.models.DraftScreen) of a composer: drafts and text modules.
    draft: str | None = None


def screen_view(screen: Screen, name: str):
    """The view serving ``screen`` (see the module docstring); ``name`` is the screen's
    name for the ACLs (the URL name)."""

    def view(request, pk: int):
        ticket = access.get_or_404(request.user, pk, screen.need)

        def build(posted=None):
            data = (
                (posted, request.FILES)
                if posted is not None
                else (request.POST, request.FILES)
                if request.method == "POST"
                else ()
            )
            # A composer's form offers the files kept with the agent's draft.
            kept = {"draft": draft} if screen.draft else {}
            form = screen.form_class(*data, ticket=ticket, user=request.user, **kept)
            if screen.fields_screen:
                ticket_fields.add_form_fields(form, screen.fields_screen, ticket=ticket)
            if screen.article_screen:
                ticket_fields.add_article_form_fields(form, screen.article_screen)
            acl.restrict_form(form, user=request.user, screen=name, tickets=[ticket])
            return form

        context: dict = {}
        draft = None
        if screen.draft:
            draft = drafts.draft_of(request.user, ticket, screen.draft)
            context = drafts.draft_context(request, ticket, screen.draft, draft)
        if screen.faq_insert and is_faq_step(request):
            return faq_step(
                request,
                ticket,
                build,
                lambda form, **extra: ticket_page(
                    request, screen.template, ticket, form, screen=screen, **{**context, **extra}
                ),
                need=screen.need,
            )
        form = build()
        if screen.draft:
            if draft is not None and request.method == "GET":
                form.initial = {**form.initial, **drafts.draft_initial(draft)}
                context["draft_restored"] = True
            if drafts.is_text_module_step(request):
                return drafts.text_module_step(
                    request,
                    ticket,
                    build,
                    lambda form: ticket_page(
                        request, screen.template, ticket, form, screen=screen, **context
                    ),
                )

        def act(cleaned):
            # The screen's action and its custom fields: one change, all or nothing.
            cleaned["article_fields"] = ticket_fields.article_values_from(form, cleaned)
            with transaction.atomic():
                outcome = screen.act(ticket, cleaned, request.user, form.expected_version())
                values = ticket_fields.ticket_values_from(form, cleaned)
                if values:
                    actions.set_field_values(ticket, values, actor=request.user, need=screen.need)
                if screen.draft:
                    actions.discard_draft(ticket, screen.draft, actor=request.user)
            return outcome

        return ticket_screen(
            request,
            ticket,
            form,
            screen.template,
            act,
            done=lambda _outcome: screen.done % {"number": ticket.number},
            screen=screen,
            **context,
        )

    methods = require_POST if screen.post_only else require_http_methods(["GET", "POST"])
    return agent_required(methods(acl_action(name)(view)))


# --- what each screen does with its form's cleaned data: one action each ------------------------
# RequiredLock (lock_if_unlocked) on close, pending, move, priority and the outbound call, as
# OTRS configures those screens.


def _note(ticket, data, actor, seen):
    article = actions.add_article(
        ticket, data["article"], actor=actor, article_field_values=data["article_fields"]
    )
    if data.get("mentions"):
        actions.mention_agents(ticket, article, data["mentions"], actor=actor)
    return article


def _phone_inbound(ticket, data, actor, seen):
    actions.add_phone_call(
        ticket, data["article"], actor=actor, article_field_values=data["article_fields"]
    )


def _phone_outbound(ticket, data, actor, seen):
    actions.add_phone_call(
        ticket,
        data["article"],
        actor=actor,
        lock_if_unlocked=True,
        article_field_values=data["article_fields"],
    )


def _close(ticket, data, actor, seen):
    actions.set_state(
        ticket,
        data["state"],
        actor=actor,
        note=data["article"],
        expected_version=seen,
        lock_if_unlocked=True,
    )


def _pending(ticket, data, actor, seen):
    # A missing time (None) is the action's error ("needs a pending time"), like its other rules.
    actions.set_pending(
        ticket,
        data["state"],
        data["pending_until"],
        actor=actor,
        expected_version=seen,
        lock_if_unlocked=True,
    )


def _move(ticket, data, actor, seen):
    actions.move_ticket(
        ticket,
        data["queue"],
        actor=actor,
        note=data["article"],
        expected_version=seen,
        lock_if_unlocked=True,
    )


def _owner(ticket, data, actor, seen):
    actions.set_owner(
        ticket, data["owner"], actor=actor, note=data["article"], expected_version=seen
    )


def _responsible(ticket, data, actor, seen):
    actions.set_responsible(ticket, data["responsible"], actor=actor, expected_version=seen)


def _priority(ticket, data, actor, seen):
    actions.set_priority(
        ticket, data["priority"], actor=actor, expected_version=seen, lock_if_unlocked=True
    )


def _lock(ticket, data, actor, seen):
    actions.lock_ticket(ticket, actor=actor, expected_version=seen)


def _unlock(ticket, data, actor, seen):
    actions.unlock_ticket(ticket, actor=actor, expected_version=seen)


def _watch(ticket, data, actor, seen):
    actions.watch_ticket(ticket, actor=actor)


def _unwatch(ticket, data, actor, seen):
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
            act=_note,
            fields_screen=ticket_fields.TicketScreen.NOTE,
            article_screen=ticket_fields.TicketScreen.NOTE,
            faq_insert=True,
            title=_("Add note"),
            submit=_("Add note"),
            done=_("Note added to ticket %(number)s."),
            draft=DraftScreen.NOTE,
        ),
    ),
    "phone_inbound": (
        "phone/inbound/",
        Screen(
            need=RW,
            form_class=forms.PhoneInboundForm,
            act=_phone_inbound,
            article_screen=ticket_fields.TicketScreen.PHONE_CALL,
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
            act=_phone_outbound,
            article_screen=ticket_fields.TicketScreen.PHONE_CALL,
            title=_("Phone call to the customer"),
            submit=_("Save the call"),
            done=_("Phone call added to ticket %(number)s."),
        ),
    ),
    "close": (
        "close/",
        Screen(
            need=RW,
            form_class=forms.CloseForm,
            act=_close,
            fields_screen=ticket_fields.TicketScreen.CLOSE,
            title=_("Close ticket"),
            submit=_("Close"),
            done=_("Ticket %(number)s closed."),
        ),
    ),
    "pending": (
        "pending/",
        Screen(
            need=RW,
            form_class=forms.PendingForm,
            act=_pending,
            fields_screen=ticket_fields.TicketScreen.PENDING,
            title=_("Set pending"),
            submit=_("Set pending"),
            done=_("Ticket %(number)s is pending."),
        ),
    ),
    "move": (
        "move/",
        Screen(
            need=PermissionKey.MOVE_INTO,
            form_class=forms.MoveForm,
            act=_move,
            title=_("Move ticket"),
            submit=_("Move"),
            done=_("Ticket %(number)s moved."),
        ),
    ),
    "owner": (
        "owner/",
        Screen(
            need=PermissionKey.OWNER,
            form_class=forms.OwnerForm,
            act=_owner,
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
    path(f"tickets/<int:pk>/{suffix}", screen_view(screen, name), name=name)
    for name, (suffix, screen) in SCREENS.items()
]
