"""Moving process tickets: starting one, submitting a dialog, a change made elsewhere, and
the transitions.

Every entry runs in one transaction that locks the ticket's row first, then its place (the
one order, so a dialog and an event never wait for each other): the dialog's changes
(through the ticket actions), then the transitions of the ticket's activity, checked in
their order on the ticket as it now is (:func:`otrs.conditions.matches`, the same meaning
as everywhere): the first that holds fires, its actions (GenericAgent's changes) run as the
same actor, and the ticket moves to its target, where the check starts again, at most
``PROCESS_MAX_TRANSITIONS`` times (a cycle of conditions that always hold stops there and
says so). Every activity change is a history row ``ProcessUpdate`` (event
``TicketProcessUpdate``), every history row written on the way carries the step
(``process_step``), and the step stores which transitions were checked,
line by line, and which fired: the trace.

After a change made anywhere else (a plain screen, the mail, GenericAgent, the API: any
ticket action), :func:`follow_change` checks the transitions again, from the durable events
after the commit (:mod:`tickets.processes.receivers`), and writes a step only when one
fires. It acts as the system user (a transition is the administrator's rule, and the change
may have come from a customer or a mail), is idempotent by the delivered batch, and stops a
chain of automatic changes at ``PROCESS_MAX_EVENT_DEPTH``, saying so in the trace.

A dialog is submitted on the ticket as the agent saw it (``expected_version``, the edit
conflict check every ticket screen has, :mod:`tickets.actions.versions`): changes by others
since are an :class:`~tickets.actions.EditConflict`, and a ticket that has moved on to an
activity that no longer offers the dialog is :class:`ActivityChanged`, which no second
submit overrides.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.conditions import Schema, matches
from otrs.conditions.text import format_line
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access, actions
from ..actions import EditConflict
from ..automation import changes as change_set
from ..automation.attributes import facts_for, ticket_schema
from ..choices import HistoryType
from ..models import (
    Activity,
    ActivityDialog,
    Process,
    ProcessState,
    ProcessStep,
    Ticket,
    TicketProcess,
    Transition,
)
from .dialogs import DialogForm, apply_dialog, create_values

# Processes whose tickets go on moving (Znuny: active and fading away).
RUNNING = (ProcessState.ACTIVE, ProcessState.FADE_AWAY)


def _refuse(message: str) -> DomainError:
    return DomainError(message, code=ErrorCode.NOT_ALLOWED)


class ActivityChanged(EditConflict):
    """The ticket moved on to an activity that does not offer the submitted dialog: the
    dialog cannot be submitted any more, knowingly or not. ``activity`` is where the
    ticket stands now, ``dialogs`` what it offers there; ``changes`` and ``version`` as for
    every edit conflict."""

    def __init__(
        self,
        ticket: Ticket,
        changes: list,
        *,
        dialog: ActivityDialog,
        activity: Activity,
        dialogs: list[ActivityDialog],
    ) -> None:
        super().__init__(ticket, changes)
        self.message = _(
            "The ticket has moved on to the activity “%(activity)s” since you opened this "
            "dialog. The dialog “%(dialog)s” is not part of that activity and cannot be "
            "submitted any more; your entries were not saved."
        ) % {"activity": activity.name, "dialog": dialog.name}
        self.activity = activity
        self.dialogs = dialogs


def _lock(ticket_id: int) -> TicketProcess | None:
    """Lock the ticket's row, then its place (always in this order); the place, or None for
    a ticket in no process (or gone)."""
    if not list(Ticket.objects.select_for_update().filter(pk=ticket_id).values_list("pk")):
        return None
    return (
        TicketProcess.objects.select_for_update()
        .select_related("process", "activity")
        .filter(ticket_id=ticket_id)
        .first()
    )


def startable(process: Process, *, customer: bool = False) -> bool:
    """Whether ``process`` starts tickets now (active, with a start activity and a start
    dialog offered in that portal)."""
    dialog = process.start_dialog
    return (
        process.state == ProcessState.ACTIVE
        and process.start_activity_id is not None
        and dialog is not None
        and (dialog.for_customers() if customer else dialog.for_agents())
    )


def start_process(
    process: Process, form: DialogForm, *, actor: User, customer: bool = False
) -> Ticket:
    """Create a process ticket from its start dialog (``form``, valid), place it in the
    start activity and check the transitions. The queue is the dialog's, else the
    process's; the actor needs ``create`` there (the create action checks it)."""
    if not startable(process, customer=customer):
        raise _refuse(_("The process “%(name)s” starts no tickets now.") % {"name": process})
    values = create_values(form, customer=customer)
    queue = form.cleaned_data.get("queue") or process.queue
    with transaction.atomic(), actions.recorded_as(process=process.pk):
        if customer:
            # The customer portal's own action: the customer and company are the customer's,
            # the ticket is a web request with the queue's auto reply.
            ticket = actions.create_web_ticket(
                title=values["title"],
                queue=queue,
                article=values.get("article")
                or actions.ArticleInput(body=values["title"], subject=values["title"]),
                field_values=values.get("field_values"),
                actor=actor,
            )
        else:
            ticket = actions.create_ticket(queue=queue, actor=actor, **values)
        activity = process.start_activity
        assert activity is not None  # startable() said so
        place = TicketProcess.objects.create(ticket=ticket, process=process, activity=activity)
        step = ProcessStep.objects.create(
            ticket=ticket,
            process=process,
            dialog_name=form.dialog.name,
            activity_before="",
            activity_after=activity.name,
            actor=actor,
        )
        with actions.recorded_as(process_step=step.pk):
            _record(ticket, place, None, activity, actor, transition=None)
            _advance(ticket, place, step, actor=actor)
    return ticket


def offered_dialogs(place: TicketProcess | None, *, customer: bool = False) -> list[ActivityDialog]:
    """The dialogs the ticket's current activity offers in that portal."""
    if place is None:
        return []
    dialogs = place.activity.dialogs.order_by("name")
    return [d for d in dialogs if (d.for_customers() if customer else d.for_agents())]


def left_behind(place: TicketProcess, dialog: ActivityDialog, *, customer: bool = False) -> bool:
    """Whether ``dialog`` is one of the ticket's process for that portal that its current
    activity does not have: the ticket has moved on since it was offered."""
    return (
        dialog.process_id == place.process_id
        and (dialog.for_customers() if customer else dialog.for_agents())
        and not place.activity.dialogs.filter(pk=dialog.pk).exists()
    )


def submit_dialog(
    ticket: Ticket,
    form: DialogForm,
    *,
    actor: User,
    customer: bool = False,
    expected_version: str | None = None,
) -> ProcessStep:
    """Apply a submitted dialog (``form``, valid) to the process ticket and check the
    transitions; refused when the ticket's activity does not offer the dialog (any more:
    :class:`ActivityChanged`), or, given ``expected_version``, when others changed the
    ticket since (:class:`~tickets.actions.EditConflict`; submitting again with the current
    version applies the dialog anyway)."""
    dialog = form.dialog
    need = PermissionKey.NOTE if customer else PermissionKey.RW
    with transaction.atomic():
        place = _lock(ticket.pk)
        if place is None or not access.can(actor, ticket, need):
            raise _refuse(_("This ticket is not in a process."))
        try:
            actions.expect_version(ticket, expected_version, actor=actor)
            conflict = None
        except EditConflict as found:  # reported below, after the stronger refusal
            conflict = found
        offered = offered_dialogs(place, customer=customer)
        if dialog not in offered:
            if left_behind(place, dialog, customer=customer):
                raise ActivityChanged(
                    ticket,
                    conflict.changes if conflict is not None else [],
                    dialog=dialog,
                    activity=place.activity,
                    dialogs=offered,
                )
            raise _refuse(
                _("The dialog “%(dialog)s” is not offered in the activity “%(activity)s”.")
                % {"dialog": dialog.name, "activity": place.activity.name}
            )
        if conflict is not None:
            raise conflict
        step = ProcessStep.objects.create(
            ticket=ticket,
            process=place.process,
            dialog_name=dialog.name,
            activity_before=place.activity.name,
            activity_after=place.activity.name,
            actor=actor,
        )
        with actions.recorded_as(process=place.process_id, process_step=step.pk):
            apply_dialog(ticket, form, actor=actor, customer=customer)
            _advance(ticket, place, step, actor=actor)
    return step


def follow_change(
    ticket_id: int, *, key: str, events: list[str], caused_by: int | None, chain: dict[str, int]
) -> ProcessStep | None:
    """After a committed change of the ticket made elsewhere (``events``, by the user
    ``caused_by``): if it stands in a running process and a transition of its activity now
    holds, move it on as the system user, with the trace; the step, or None when nothing
    moved. ``key`` names the delivered change: a second call with it does nothing.
    ``chain``: the chain depths the change carried (:data:`tickets.events.CHAIN_KEYS`)."""
    depth = chain.get("process_depth", -1) + 1
    with transaction.atomic():
        place = _lock(ticket_id)
        if place is None or place.process.state not in RUNNING:
            return None
        ticket = Ticket.objects.get(pk=ticket_id)
        if ProcessStep.objects.filter(trigger_key=key).exists():
            return None  # a redelivery: this change was followed already
        now = timezone.now()
        transitions = _outgoing(place.activity)
        found, checks = (
            check(transitions, ticket, ticket_schema(), now) if transitions else (None, [])
        )
        if found is None:
            return None
        system = system_user()
        step = ProcessStep.objects.create(
            ticket=ticket,
            process=place.process,
            activity_before=place.activity.name,
            activity_after=place.activity.name,
            actor=system,
            trigger_key=key,
            trigger_events=sorted(set(events)),
            caused_by_id=caused_by,
            depth=depth,
        )
        limit = settings.PROCESS_MAX_EVENT_DEPTH
        if depth > limit:
            step.checks = checks
            step.checks[-1]["held"] = False
            step.checks[-1]["stopped"] = True
            step.message = _(
                "Stopped: this change was caused by a chain of %(depth)s automatic changes "
                "(transition actions and GenericAgent jobs; the limit is %(limit)s). They "
                "probably trigger each other."
            ) % {"depth": depth, "limit": limit}
            step.save(update_fields=["checks", "message"])
            return step
        before = place.activity
        try:
            with (
                transaction.atomic(),
                actions.recorded_as(
                    **{**chain, "process_depth": depth},
                    process=place.process_id,
                    process_step=step.pk,
                ),
            ):
                _advance(ticket, place, step, actor=system)
        except DomainError as error:
            # A transition action was refused: nothing of the move is kept, the trace says why.
            place.activity = before
            step.checks = checks
            step.activity_after = before.name
            step.message = _("The transition could not be made: %(error)s") % {
                "error": error.message
            }
            step.save(update_fields=["checks", "activity_after", "message"])
    return step


# --- the transitions ---------------------------------------------------------------------------


def explain(tree: dict | None, schema: Schema, facts: dict, now: datetime) -> list[list[Any]]:
    """``[[line, held], ...]``: each test of a condition and whether it held (the trace)."""
    if not tree:
        # No condition: always holds (the empty line is rendered as such, in the reader's
        # language).
        return [["", True]]
    nodes = tree.get("all", [tree])
    return [[format_line(node, schema), matches(node, schema, facts, now)] for node in nodes]


def check(
    transitions: list[Transition], ticket: Ticket, schema: Schema, now: datetime
) -> tuple[Transition | None, list[dict]]:
    """The first of ``transitions`` whose condition holds on ``ticket`` now, and what each
    checked one said."""
    checks: list[dict] = []
    for transition in transitions:
        facts = facts_for(transition.condition, ticket, now)
        held = matches(transition.condition, schema, facts, now)
        checks.append(
            {
                "transition": transition.name,
                "from": transition.from_activity.name,
                "to": transition.to_activity.name,
                "held": held,
                "lines": explain(transition.condition, schema, facts, now),
            }
        )
        if held:
            return transition, checks
    return None, checks


def _outgoing(activity: Activity) -> list[Transition]:
    return list(
        activity.outgoing.select_related("from_activity", "to_activity").order_by("order", "pk")
    )


def _advance(ticket: Ticket, place: TicketProcess, step: ProcessStep, *, actor: User) -> None:
    schema = ticket_schema()
    limit = settings.PROCESS_MAX_TRANSITIONS
    checks: list[dict] = []
    fired = 0
    while True:
        transitions = _outgoing(place.activity)
        if not transitions:
            break
        now = timezone.now()
        ticket.refresh_from_db()
        transition, found = check(transitions, ticket, schema, now)
        checks += found
        if transition is None:
            break
        if fired >= limit:
            checks[-1]["held"] = False
            checks[-1]["stopped"] = True
            step.message = _(
                "Stopped after %(limit)s transitions in one step: the conditions of this "
                "process lead round in a circle."
            ) % {"limit": limit}
            break
        fired += 1
        with actions.recorded_as(process_transition=transition.name):
            planned = change_set.plan(transition.actions, ticket, now)
            if planned:
                change_set.apply(
                    transition.actions,
                    ticket,
                    planned,
                    actor=actor,
                    key=f"process:{step.pk}:{fired}",
                )
            before = place.activity
            place.activity = transition.to_activity
            place.changed_at = now
            place.save(update_fields=["activity", "changed_at"])
            _record(ticket, place, before, place.activity, actor, transition=transition)
        checks[-1]["actions"] = planned
    step.checks = checks
    step.activity_after = place.activity.name
    step.save(update_fields=["checks", "activity_after", "message"])


def _record(
    ticket: Ticket,
    place: TicketProcess,
    before: Activity | None,
    after: Activity,
    actor: User,
    *,
    transition: Transition | None,
) -> None:
    actions.record_history(
        ticket,
        HistoryType.PROCESS_UPDATE,
        actor,
        old=before.pk if before is not None else "",
        new=after.pk,
        extra={
            "process_id": place.process_id,
            "process_name": place.process.name,
            "activity_name": after.name,
            "transition_name": transition.name if transition is not None else "",
        },
    )
