"""What every ticket action shares: inputs, row locks, permission checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import cast

from django.core.files.base import File
from django.db import transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.bulk import load, save_fields
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access, masterdata, ticket_counts
from ..choices import (
    PENDING_STATE_TYPES,
    Channel,
    HistoryType,
    LockState,
    SenderType,
    StateType,
)
from ..models import (
    Priority,
    Queue,
    RawMail,
    State,
    Ticket,
    TicketType,
)
from .history import record_history

TITLE_MAX = 255

# Set by whole_transaction(): the caller's transaction is rolled back as a whole on any error.
_WHOLE: ContextVar[bool] = ContextVar("tickets_actions_whole_transaction", default=False)


@contextmanager
def whole_transaction() -> Iterator[None]:
    """Within: the caller never goes on in its transaction after an action failed (it lets
    the error roll the whole transaction back), so the actions called need no savepoint of
    their own (``SAVEPOINT`` and ``RELEASE``, two statements each). An action that fails
    inside marks the transaction for rollback: any later statement in it raises, nothing
    half-written is kept. The mail intake says so for its processing transaction; a caller
    that catches a DomainError and goes on in the same transaction must not."""
    token = _WHOLE.set(True)
    try:
        yield
    finally:
        _WHOLE.reset(token)


def atomic() -> transaction.Atomic:
    """An action's transaction: inside another one a savepoint, so that a caller catching
    the action's error can go on without its writes, unless within
    :func:`whole_transaction`."""
    return transaction.atomic(savepoint=not _WHOLE.get())


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInput:
    """A file for a new article. ``content``: the bytes, or a file (an upload, stored in
    chunks from where Django put it; see :meth:`read`). ``sha256``: the content's hash when
    the caller has it; ``stored``: where (``"db"`` or ``"fs"``) the caller stored these bytes
    under it a moment ago (the raw mail store keeps a mail's files once), so they are not
    hashed or written again (see :meth:`tickets.models.Attachment.store`)."""

    filename: str
    content: bytes | File
    content_type: str = "application/octet-stream"
    content_id: str = ""
    disposition: str = "attachment"
    sha256: str = ""
    stored: str = ""

    def read(self) -> bytes:
        """The whole content (for a mail, which carries it inline anyway)."""
        if isinstance(self.content, File):
            self.content.seek(0)
            return self.content.read()
        return self.content


@dataclass(frozen=True)
class ArticleInput:
    """What a new article says; the action decides everything else."""

    channel: str = Channel.INTERNAL
    sender_type: str = SenderType.AGENT
    body: str = ""
    body_html: str = ""
    subject: str = ""
    is_visible_for_customer: bool = False
    from_address: str = ""
    reply_to: str = ""
    to_address: str = ""
    cc_address: str = ""
    bcc_address: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    # The mail's bytes, or the stored copy of them (the inbound store's RawMail: shared).
    raw: bytes | RawMail | None = None
    attachments: Sequence[AttachmentInput] = field(default_factory=tuple)
    created_at: datetime | None = None
    # Time the agent spent (OTRS TimeUnits), accounted with the article; None or 0: none.
    time_units: Decimal | None = None


# --- internals ---------------------------------------------------------------------------------


def _locked(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket under a row lock; the caller is inside a transaction."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    # One hand-built statement (otrs.bulk.load): every action on a ticket starts here.
    locked = load(Ticket, "t.id = %s", [pk], for_update=True)
    if locked is None:
        raise Ticket.DoesNotExist(f"Ticket {pk} does not exist.")
    return cast("Ticket", locked)


def _locked_many(tickets: Iterable[Ticket | int]) -> dict[int, Ticket]:
    """Lock several tickets in id order, so two multi-ticket actions cannot deadlock."""
    pks = sorted({t.pk if isinstance(t, Ticket) else t for t in tickets})
    return {pk: _locked(pk) for pk in pks}


def _require(actor: User, ticket: Ticket, need: str) -> None:
    """Refuse unless ``actor`` may act on ``ticket`` with ``need`` (the access entry decides
    by the kind of actor: agents by their grants, customers by their tickets, the system
    always)."""
    if not access.can(actor, ticket, need):
        raise DomainError(
            _("You do not have the “%(key)s” permission on ticket %(number)s.")
            % {"key": PermissionKey(need).label, "number": ticket.number},
            code=ErrorCode.PERMISSION_DENIED,
        )


def _require_queue(actor: User, queue: Queue, need: str) -> None:
    """Refuse unless ``actor`` holds ``need`` on ``queue`` (customers: ``create`` in the
    queues offered to them)."""
    if not access.can_use_queue(actor, queue, need):
        raise DomainError(
            _("You do not have the “%(key)s” permission on queue %(queue)s.")
            % {"key": PermissionKey(need).label, "queue": queue.full_name},
            code=ErrorCode.PERMISSION_DENIED,
        )


def _save(ticket: Ticket, actor: User, *fields: str) -> None:
    keyed = ticket_counts.KEY_FIELDS.intersection(fields)
    old = ticket_counts.counted_at(ticket) if keyed else None
    ticket.changed_at = timezone.now()
    ticket.changed_by = actor
    # One hand-built UPDATE (otrs.bulk.save_fields): every ticket action ends here.
    save_fields(ticket, [*fields, "changed_at", "changed_by"])
    if old is not None:
        ticket_counts.changed(ticket, old)


def _check_pending(state: State, pending_until: datetime | None) -> None:
    if state.state_type in PENDING_STATE_TYPES and pending_until is None:
        raise DomainError(
            _("The state “%(state)s” needs a pending time.") % {"state": state.name},
            code=ErrorCode.PENDING_TIME_REQUIRED,
        )
    if pending_until is not None and timezone.is_naive(pending_until):
        raise DomainError(_("The pending time needs a time zone."), code=ErrorCode.NAIVE_DATETIME)


def _unlock(ticket: Ticket, actor: User) -> bool:
    """Unlock in memory and write history; the caller saves ``lock``."""
    if ticket.lock == LockState.UNLOCK:
        return False
    old = ticket.lock
    ticket.lock = LockState.UNLOCK
    record_history(ticket, HistoryType.UNLOCK, actor, old=old, new=LockState.UNLOCK)
    return True


def check_owner_candidate(user: User, queue: Queue) -> None:
    _check_candidate(
        user,
        queue,
        PermissionKey.OWNER,
        _("%(user)s cannot own tickets in queue %(queue)s."),
        code=ErrorCode.INVALID_OWNER,
    )


def check_responsible_candidate(user: User, queue: Queue) -> None:
    _check_candidate(
        user,
        queue,
        PermissionKey.RO,
        _("%(user)s cannot be responsible for tickets in queue %(queue)s."),
        code=ErrorCode.INVALID_RESPONSIBLE,
    )


def _check_candidate(user: User, queue: Queue, key: str, message: str, *, code: ErrorCode) -> None:
    """An owner or responsible must be an active agent holding ``key`` on the queue's group
    (the system user, who stands for "nobody", always qualifies)."""
    if user.is_system:
        return
    if not (user.is_active and user.is_agent and access.can_use_queue(user, queue, key)):
        raise DomainError(
            message % {"user": user.get_username(), "queue": queue.full_name}, code=code
        )


def _state_of_type(state_type: str) -> State:
    state = State.objects.valid().filter(state_type=state_type).order_by("pk").first()
    if state is None:
        raise DomainError(
            _("There is no valid state of type “%(type)s”.") % {"type": state_type},
            code=ErrorCode.NO_STATE_OF_TYPE,
        )
    return state


# The defaults come from the per-process master data cache (tickets.masterdata), which
# reloads when any state, priority or type changes.


def default_state() -> State:
    return masterdata.default_state() or _state_of_type(StateType.NEW)


def default_priority() -> Priority:
    # None only on a site without priorities (as before the cache): creation then fails.
    return cast("Priority", masterdata.default_priority())


def default_type() -> TicketType:
    return cast("TicketType", masterdata.default_type())


def _refresh(stale: Ticket, fresh: Ticket) -> None:
    """Bring the caller's instance up to date after an action changed the locked copy.

    The locked copy was read under the row lock and changed by the action, so it is the
    row as committed: its values are copied (no query). A related object the caller had
    loaded stays when its id did not change, else it is dropped (and loaded again on use).
    """
    if stale is fresh:
        return
    for f in Ticket._meta.concrete_fields:
        value = getattr(fresh, f.attname)
        if isinstance(f, ForeignKey) and f.is_cached(stale):
            if f.is_cached(fresh):
                f.set_cached_value(stale, f.get_cached_value(fresh))
            elif getattr(stale, f.attname) != value:
                f.delete_cached_value(stale)
        setattr(stale, f.attname, value)
    stale._prefetched_objects_cache = {}  # type: ignore[attr-defined]
