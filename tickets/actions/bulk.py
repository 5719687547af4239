"""The bulk action: one set of changes applied to many tickets, ticket by ticket.

:func:`bulk_change` applies :class:`BulkChanges` to each ticket in its own transaction,
after checking every key the changes need on that ticket, so that a ticket the actor may
not change (or that an action refuses) is skipped whole, with the reason, and never undoes
the others. Each action writes its own history; a merge locks its two tickets in id order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..choices import LockState
from ..models import Priority, Queue, State, Ticket
from ._base import ArticleInput
from .articles import add_article
from .custom_fields import set_field_values
from .fields import (
    lock_ticket,
    move_ticket,
    set_owner,
    set_priority,
    set_responsible,
    set_state,
    unlock_ticket,
)
from .merge import merge_tickets


@dataclass(frozen=True)
class BulkChanges:
    """What to do to every selected ticket; ``None`` (or "") leaves a field as it is."""

    state: State | None = None
    pending_until: datetime | None = None
    priority: Priority | None = None
    queue: Queue | None = None
    owner: User | None = None
    responsible: User | None = None
    lock: str = ""
    note: ArticleInput | None = None
    merge_into: Ticket | None = None
    # Custom fields to set (``{name: value}``); fields not named stay as they are.
    field_values: Mapping[str, Any] = field(default_factory=dict)

    def needs(self, ticket: Ticket) -> list[str]:
        """The keys these changes need on ``ticket`` (spec section 5)."""
        wanted = [
            (self.queue, PermissionKey.MOVE_INTO),
            (self.state or self.lock or self.responsible or self.field_values, PermissionKey.RW),
            (self.owner, PermissionKey.OWNER),
            (self.priority, PermissionKey.PRIORITY),
            (self.note, PermissionKey.NOTE),
            (self.merges(ticket), PermissionKey.RW),
        ]
        return list(dict.fromkeys(key for asked, key in wanted if asked))

    def merges(self, ticket: Ticket) -> bool:
        return self.merge_into is not None and self.merge_into.pk != ticket.pk


@dataclass
class BulkResult:
    changed: list[Ticket] = field(default_factory=list)
    skipped: list[tuple[Ticket, str]] = field(default_factory=list)


def bulk_change(tickets: Iterable[Ticket], changes: BulkChanges, *, actor: User) -> BulkResult:
    """Apply ``changes`` to each ticket on its own: all of a ticket's changes or none."""
    result = BulkResult()
    for ticket in tickets:
        if not changes.needs(ticket):
            continue  # the merge target, when merging is all there is to do
        try:
            _check(actor, ticket, changes)
            with transaction.atomic():
                _apply(ticket, changes, actor)
        except DomainError as error:
            result.skipped.append((ticket, error.message))
        else:
            result.changed.append(ticket)
    target = changes.merge_into
    if target and target not in result.changed and any(map(changes.merges, result.changed)):
        result.changed.append(target)
    return result


def _check(actor: User, ticket: Ticket, changes: BulkChanges) -> None:
    for key in changes.needs(ticket):
        if not access.can(actor, ticket, key):
            raise DomainError(_missing(key, ticket), code=ErrorCode.PERMISSION_DENIED)
    target = changes.merge_into
    # merges() is only true with a merge target.
    if (
        target is not None
        and changes.merges(ticket)
        and not access.can(actor, target, PermissionKey.RW)
    ):
        raise DomainError(_missing(PermissionKey.RW, target), code=ErrorCode.PERMISSION_DENIED)


def _missing(key: str, ticket: Ticket) -> str:
    return _("You do not have the “%(key)s” permission on ticket %(number)s.") % {
        "key": PermissionKey(key).label,
        "number": ticket.number,
    }


def _apply(ticket: Ticket, changes: BulkChanges, actor: User) -> None:
    # Move first: moving unlocks (OTRS), so a lock asked for must come after it.
    if changes.queue:
        move_ticket(ticket, changes.queue, actor=actor)
    if changes.lock == LockState.LOCK:
        lock_ticket(ticket, actor=actor)
    if changes.owner:
        set_owner(ticket, changes.owner, actor=actor)
    if changes.responsible:
        set_responsible(ticket, changes.responsible, actor=actor)
    if changes.priority:
        set_priority(ticket, changes.priority, actor=actor)
    if changes.state:
        set_state(ticket, changes.state, actor=actor, pending_until=changes.pending_until)
    if changes.field_values:
        # One TicketDynamicFieldUpdate history row per changed field, on this ticket.
        set_field_values(ticket, changes.field_values, actor=actor)
    if changes.note:
        add_article(ticket, changes.note, actor=actor)
    if changes.merge_into is not None and changes.merges(ticket):
        merge_tickets(ticket, changes.merge_into, actor=actor)
    if changes.lock == LockState.UNLOCK:
        unlock_ticket(ticket, actor=actor)
