"""Changing one field of a ticket: queue, state, owner, responsible, lock, priority, ..."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..choices import (
    PENDING_STATE_TYPES,
    HistoryType,
    LockState,
    StateType,
)
from ..models import (
    SLA,
    Priority,
    Queue,
    Service,
    State,
    Ticket,
    TicketType,
)
from . import _customer
from ._base import (
    TITLE_MAX,
    ArticleInput,
    _check_pending,
    _locked,
    _refresh,
    _require,
    _require_queue,
    _save,
    _unlock,
    atomic,
    check_owner_candidate,
    check_responsible_candidate,
)
from .articles import add_article
from .history import record_history
from .versions import check_version


def _before_change(
    locked: Ticket,
    actor: User,
    *,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
    note: ArticleInput | None = None,
) -> None:
    """What an agent's change does first, inside the row lock of ``locked`` and after the
    permission check: the edit-conflict check against the version the agent saw, OTRS
    RequiredLock, and the note that comes with the change (added before it: after a move or
    a new owner the agent may no longer have the ``note`` key)."""
    check_version(locked, expected_version, actor)
    if lock_if_unlocked:
        _required_lock(locked, actor)
    if note is not None:
        add_article(locked, note, actor=actor)


def _required_lock(locked: Ticket, actor: User) -> None:
    """OTRS RequiredLock: an unlocked ticket is locked to the actor first, in the same
    transaction as the change. Only an agent who may lock it (``rw`` on the ticket) and own
    it (its owner already, or the ``owner`` key on the queue) takes the lock; an agent acting
    by a narrower key (``priority``, ``move_into``) changes the ticket without locking it."""
    if locked.lock != LockState.UNLOCK or not actor.is_agent:
        return
    if not access.can(actor, locked, PermissionKey.RW):
        return
    if locked.owner_id == actor.pk or access.can_use_queue(
        actor, locked.queue, PermissionKey.OWNER
    ):
        lock_ticket(locked, actor=actor)


def move_ticket(
    ticket: Ticket,
    queue: Queue,
    *,
    actor: User,
    note: ArticleInput | None = None,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> Ticket:
    """Move to another queue; needs ``move_into`` there. Moving always unlocks (OTRS).
    ``note``, ``expected_version`` and ``lock_if_unlocked``: see :func:`_before_change`."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.MOVE_INTO)
        _require_queue(actor, queue, PermissionKey.MOVE_INTO)
        _before_change(
            locked,
            actor,
            expected_version=expected_version,
            lock_if_unlocked=lock_if_unlocked,
            note=note,
        )
        if locked.queue_id == queue.pk:
            return locked
        old = locked.queue_id
        locked.queue = queue
        record_history(locked, HistoryType.MOVE, actor, old=old, new=queue.pk)
        _unlock(locked, actor)
        _save(locked, actor, "queue", "lock")
    _refresh(ticket, locked)
    return ticket


def set_state(
    ticket: Ticket,
    state: State,
    *,
    actor: User,
    pending_until: datetime | None = None,
    note: ArticleInput | None = None,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> Ticket:
    """Change the state; pending states need ``pending_until``; closing unlocks.
    ``note``, ``expected_version`` and ``lock_if_unlocked``: see :func:`_before_change`."""
    _check_pending(state, pending_until)
    if state.state_type == StateType.MERGED:
        raise DomainError(
            _(
                "A ticket cannot be set to the merged state directly; merge it into another "
                "ticket instead."
            ),
            code=ErrorCode.USE_MERGE,
        )
    with atomic():
        locked = _locked(ticket)
        if actor.is_customer:
            _customer.check_customer_close(actor, locked, state)
        else:
            _require(actor, locked, PermissionKey.RW)
        if locked.merged_into_id is not None:
            raise DomainError(
                _("Ticket %(number)s is merged; unmerge it to change its state.")
                % {"number": locked.number},
                code=ErrorCode.TICKET_MERGED,
            )
        _before_change(
            locked,
            actor,
            expected_version=expected_version,
            lock_if_unlocked=lock_if_unlocked,
            note=note,
        )
        _set_state(locked, state, actor, pending_until=pending_until)
    _refresh(ticket, locked)
    return ticket


def set_pending(
    ticket: Ticket,
    state: State,
    until: datetime | None,
    *,
    actor: User,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> Ticket:
    """Set a pending state and its time (``None`` is refused: a pending state needs one)."""
    if state.state_type not in PENDING_STATE_TYPES:
        raise DomainError(
            _("“%(state)s” is not a pending state.") % {"state": state.name},
            code=ErrorCode.NOT_PENDING_STATE,
        )
    return set_state(
        ticket,
        state,
        actor=actor,
        pending_until=until,
        expected_version=expected_version,
        lock_if_unlocked=lock_if_unlocked,
    )


def _set_state(
    ticket: Ticket, state: State, actor: User, *, pending_until: datetime | None = None
) -> None:
    fields = []
    if ticket.state_id != state.pk:
        old = ticket.state_id
        ticket.state = state
        fields.append("state")
        record_history(ticket, HistoryType.STATE_UPDATE, actor, old=old, new=state.pk)
    new_pending = pending_until if state.state_type in PENDING_STATE_TYPES else None
    if new_pending != ticket.pending_until:
        old_pending = ticket.pending_until
        ticket.pending_until = new_pending
        fields.append("pending_until")
        record_history(
            ticket,
            HistoryType.SET_PENDING_TIME,
            actor,
            old=old_pending.isoformat() if old_pending else "",
            new=new_pending.isoformat() if new_pending else "",
        )
    if state.state_type in (StateType.CLOSED, StateType.MERGED, StateType.REMOVED) and _unlock(
        ticket, actor
    ):
        fields.append("lock")
    if fields:
        _save(ticket, actor, *fields)


def set_owner(
    ticket: Ticket,
    owner: User,
    *,
    actor: User,
    note: ArticleInput | None = None,
    expected_version: str | None = None,
) -> Ticket:
    """Change the owner (``owner`` key); the new owner needs ``owner`` on the queue."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.OWNER)
        _before_change(locked, actor, expected_version=expected_version, note=note)
        _set_owner(locked, owner, actor)
    _refresh(ticket, locked)
    return ticket


def _set_owner(ticket: Ticket, owner: User, actor: User) -> None:
    if ticket.owner_id == owner.pk:
        return
    check_owner_candidate(owner, ticket.queue)
    old = ticket.owner_id
    ticket.owner = owner
    fields = ["owner"]
    record_history(ticket, HistoryType.OWNER_UPDATE, actor, old=old, new=owner.pk)
    # OTRS ResponsibleAutoSet: a ticket whose responsible is still the system user gets the
    # new owner as responsible.
    if ticket.responsible.is_system and not owner.is_system:
        _set_responsible_fields(ticket, owner, actor)
        fields.append("responsible")
    _save(ticket, actor, *fields)


def set_responsible(
    ticket: Ticket, responsible: User, *, actor: User, expected_version: str | None = None
) -> Ticket:
    """Change the responsible agent (needs ``rw``)."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        if locked.responsible_id != responsible.pk:
            check_responsible_candidate(responsible, locked.queue)
            _set_responsible_fields(locked, responsible, actor)
            _save(locked, actor, "responsible")
    _refresh(ticket, locked)
    return ticket


def _set_responsible_fields(ticket: Ticket, responsible: User, actor: User) -> None:
    old = ticket.responsible_id
    ticket.responsible = responsible
    record_history(ticket, HistoryType.RESPONSIBLE_UPDATE, actor, old=old, new=responsible.pk)


def lock_ticket(
    ticket: Ticket, *, actor: User, keep_owner: bool = False, expected_version: str | None = None
) -> Ticket:
    """Lock the ticket to the actor, who becomes its owner (needs ``rw``). With
    ``keep_owner`` (the system locking a reopened ticket back to its owner, spec 3.6) the
    owner stays."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        actor_owner = locked.owner if keep_owner else actor
        if locked.lock != LockState.UNLOCK and locked.owner_id != actor_owner.pk:
            raise DomainError(
                _("Ticket %(number)s is locked by %(owner)s.")
                % {"number": locked.number, "owner": locked.owner.get_username()},
                code=ErrorCode.LOCKED_BY_OTHER,
            )
        if locked.lock == LockState.LOCK and locked.owner_id == actor_owner.pk:
            return locked
        old = locked.lock
        locked.lock = LockState.LOCK
        locked.unlock_anchor_at = timezone.now()
        record_history(locked, HistoryType.LOCK, actor, old=old, new=LockState.LOCK)
        _save(locked, actor, "lock", "unlock_anchor_at")
        if not keep_owner:
            _set_owner(locked, actor, actor)
    _refresh(ticket, locked)
    return ticket


def unlock_ticket(ticket: Ticket, *, actor: User, expected_version: str | None = None) -> Ticket:
    """Release the lock (the owner, or an agent with ``rw``)."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        if _unlock(locked, actor):
            _save(locked, actor, "lock")
    _refresh(ticket, locked)
    return ticket


def set_priority(
    ticket: Ticket,
    priority: Priority,
    *,
    actor: User,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> Ticket:
    """Change the priority (``priority`` key)."""
    return _change(
        ticket,
        "priority",
        priority,
        actor=actor,
        need=PermissionKey.PRIORITY,
        history_type=HistoryType.PRIORITY_UPDATE,
        expected_version=expected_version,
        lock_if_unlocked=lock_if_unlocked,
    )


def set_title(ticket: Ticket, title: str, *, actor: User) -> Ticket:
    """Change the title (``rw``)."""
    title = title.strip()[:TITLE_MAX]
    if not title:
        raise DomainError(_("A ticket needs a title."), code=ErrorCode.TITLE_REQUIRED)
    return _change(
        ticket,
        "title",
        title,
        actor=actor,
        need=PermissionKey.RW,
        history_type=HistoryType.TITLE_UPDATE,
    )


def set_type(ticket: Ticket, ticket_type: TicketType, *, actor: User) -> Ticket:
    """Change the ticket type (``rw``)."""
    return _change(
        ticket,
        "type",
        ticket_type,
        actor=actor,
        need=PermissionKey.RW,
        history_type=HistoryType.TYPE_UPDATE,
    )


def _change(
    ticket: Ticket,
    field: str,
    value,
    *,
    actor: User,
    need: str,
    history_type: str,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> Ticket:
    """The common shape of a one-field change: lock, check, compare the raw values (ids for
    relations), and only if they differ assign, write history and announce."""
    # `field` names one of the ticket's own columns, never a reverse relation.
    attname = cast(models.Field, Ticket._meta.get_field(field)).attname
    new = value.pk if isinstance(value, models.Model) else value
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        _before_change(
            locked, actor, expected_version=expected_version, lock_if_unlocked=lock_if_unlocked
        )
        old = getattr(locked, attname)
        if old != new:
            setattr(locked, field, value)
            record_history(locked, history_type, actor, old=old, new=new)
            _save(locked, actor, field)
    _refresh(ticket, locked)
    return ticket


def set_service(ticket: Ticket, service: Service | None, sla: SLA | None, *, actor: User) -> Ticket:
    """Set service and SLA together (``rw``); the SLA must belong to the service."""
    if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
        raise DomainError(
            _("The SLA does not belong to the chosen service."), code=ErrorCode.INVALID_SLA
        )
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        fields = []
        new_service = service.pk if service else None
        if locked.service_id != new_service:
            record_history(
                locked,
                HistoryType.SERVICE_UPDATE,
                actor,
                old=locked.service_id or "",
                new=new_service or "",
            )
            locked.service = service
            fields.append("service")
        new_sla = sla.pk if sla else None
        if locked.sla_id != new_sla:
            record_history(
                locked, HistoryType.SLA_UPDATE, actor, old=locked.sla_id or "", new=new_sla or ""
            )
            locked.sla = sla
            fields.append("sla")
        if fields:
            _save(locked, actor, *fields)
    _refresh(ticket, locked)
    return ticket


def set_customer(
    ticket: Ticket,
    *,
    customer_id: str,
    customer_user: str,
    actor: User,
    expected_version: str | None = None,
) -> Ticket:
    """Change the customer id and customer user (``rw``)."""
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        check_version(locked, expected_version, actor)
        if (locked.customer_id, locked.customer_user) != (customer_id, customer_user):
            record_history(
                locked,
                HistoryType.CUSTOMER_UPDATE,
                actor,
                old=locked.customer_user,
                new=customer_user,
                extra={"old_customer_id": locked.customer_id, "new_customer_id": customer_id},
            )
            locked.customer_id = customer_id
            locked.customer_user = customer_user
            _save(locked, actor, "customer_id", "customer_user")
    _refresh(ticket, locked)
    return ticket
