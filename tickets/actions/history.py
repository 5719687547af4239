"""Ticket history and its event, written in one place so the two logs cannot drift."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.utils import timezone

from otrs import events as otrs_events
from otrs.accounts.models import User
from otrs.bulk import insert

from .. import events
from ..choices import HistoryType
from ..events import TicketEvent
from ..models import Article, Ticket, TicketHistory

# The event each kind of history row announces (OTRS's pairs). Article rows announce
# ArticleCreate (the action that stores the article says so); types missing here (LoopProtection,
# SendAgentNotification, Misc ...) are bookkeeping and announce nothing by themselves.
HISTORY_EVENTS: dict[str, TicketEvent] = {
    HistoryType.NEW_TICKET: TicketEvent.TICKET_CREATE,
    HistoryType.MOVE: TicketEvent.TICKET_QUEUE_UPDATE,
    HistoryType.STATE_UPDATE: TicketEvent.TICKET_STATE_UPDATE,
    HistoryType.SET_PENDING_TIME: TicketEvent.TICKET_PENDING_TIME_UPDATE,
    HistoryType.OWNER_UPDATE: TicketEvent.TICKET_OWNER_UPDATE,
    HistoryType.RESPONSIBLE_UPDATE: TicketEvent.TICKET_RESPONSIBLE_UPDATE,
    HistoryType.LOCK: TicketEvent.TICKET_LOCK_UPDATE,
    HistoryType.UNLOCK: TicketEvent.TICKET_LOCK_UPDATE,
    HistoryType.PRIORITY_UPDATE: TicketEvent.TICKET_PRIORITY_UPDATE,
    HistoryType.TITLE_UPDATE: TicketEvent.TICKET_TITLE_UPDATE,
    HistoryType.TYPE_UPDATE: TicketEvent.TICKET_TYPE_UPDATE,
    HistoryType.SERVICE_UPDATE: TicketEvent.TICKET_SERVICE_UPDATE,
    HistoryType.SLA_UPDATE: TicketEvent.TICKET_SLA_UPDATE,
    HistoryType.CUSTOMER_UPDATE: TicketEvent.TICKET_CUSTOMER_UPDATE,
    HistoryType.SUBSCRIBE: TicketEvent.TICKET_SUBSCRIBE,
    HistoryType.UNSUBSCRIBE: TicketEvent.TICKET_UNSUBSCRIBE,
    HistoryType.TICKET_LINK_ADD: TicketEvent.TICKET_LINK_ADD,
    HistoryType.TICKET_LINK_DELETE: TicketEvent.TICKET_LINK_DELETE,
    HistoryType.MERGED: TicketEvent.TICKET_MERGE,
    HistoryType.UNMERGED: TicketEvent.TICKET_UNMERGE,
    HistoryType.PROCESS_UPDATE: TicketEvent.TICKET_PROCESS_UPDATE,
    HistoryType.ESCALATION_RESPONSE_TIME_START: TicketEvent.ESCALATION_RESPONSE_TIME_START,
    HistoryType.ESCALATION_UPDATE_TIME_START: TicketEvent.ESCALATION_UPDATE_TIME_START,
    HistoryType.ESCALATION_SOLUTION_TIME_START: TicketEvent.ESCALATION_SOLUTION_TIME_START,
    HistoryType.ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE: (
        TicketEvent.ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE
    ),
    HistoryType.ESCALATION_UPDATE_TIME_NOTIFY_BEFORE: (
        TicketEvent.ESCALATION_UPDATE_TIME_NOTIFY_BEFORE
    ),
    HistoryType.ESCALATION_SOLUTION_TIME_NOTIFY_BEFORE: (
        TicketEvent.ESCALATION_SOLUTION_TIME_NOTIFY_BEFORE
    ),
    HistoryType.ESCALATION_RESPONSE_TIME_STOP: TicketEvent.ESCALATION_RESPONSE_TIME_STOP,
    HistoryType.ESCALATION_UPDATE_TIME_STOP: TicketEvent.ESCALATION_UPDATE_TIME_STOP,
    HistoryType.ESCALATION_SOLUTION_TIME_STOP: TicketEvent.ESCALATION_SOLUTION_TIME_STOP,
    HistoryType.TICKET_DYNAMIC_FIELD_UPDATE: TicketEvent.TICKET_DYNAMIC_FIELD_UPDATE,
    HistoryType.TIME_ACCOUNTING: TicketEvent.TICKET_ACCOUNT_TIME,
}

# ``event`` left out: the history type's own event (HISTORY_EVENTS), if it has one.
_BY_TYPE = object()


def record_history(
    ticket: Ticket,
    history_type: str,
    actor: User,
    *,
    article: Article | None = None,
    old: object = "",
    new: object = "",
    extra: dict | None = None,
    at: datetime | None = None,
    event: TicketEvent | object | None = _BY_TYPE,
) -> TicketHistory:
    """Append one history row and record its event, in the caller's transaction.

    Raw values only (ids, codes, ISO timestamps), rendered and translated at display time;
    ``at`` dates the row like the change it records. The event (``event``, else the history
    type's, see HISTORY_EVENTS) carries the same raw values: ``old`` and ``new`` as given,
    ``history_type``, ``history_id``, ``article_id`` and ``extra``'s keys.
    """
    extra = {**_source.get(), **(extra or {})}
    row = TicketHistory(
        created_at=at or timezone.now(),
        ticket=ticket,
        article=article,
        history_type=history_type,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        extra=extra,
        queue_id=ticket.queue_id,
        state_id=ticket.state_id,
        priority_id=ticket.priority_id,
        type_id=ticket.type_id,
        owner_id=ticket.owner_id,
        actor=actor,
    )
    # `object` in the signature is only the _BY_TYPE sentinel, handled here.
    name = (
        HISTORY_EVENTS.get(history_type) if event is _BY_TYPE else cast("TicketEvent | None", event)
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(_Pending(row, name, extra, old, new))
        return row
    insert(TicketHistory, [row])
    if name is not None:
        events.record(name, **_event_values(row, extra, old, new))
    return row


# Keys every history row (and its event) recorded inside :func:`recorded_as` carries.
_source: ContextVar[dict] = ContextVar("tickets_history_source", default={})  # noqa: B039


@contextmanager
def recorded_as(**source: object) -> Iterator[None]:
    """Every history row recorded in the block carries ``source`` in its extra values (and
    its event in its data): who stood behind the change when the actor is the system user,
    such as ``genericagent_job`` and ``genericagent_run`` for a GenericAgent job."""
    token = _source.set({**_source.get(), **source})
    try:
        yield
    finally:
        _source.reset(token)


@dataclass
class _Pending:
    row: TicketHistory
    event: TicketEvent | None
    extra: dict
    old: object
    new: object


_batch: ContextVar[list[_Pending] | None] = ContextVar("tickets_history_batch", default=None)


@contextmanager
def batched_history() -> Iterator[None]:
    """Collect the history rows recorded in the block and write them, and their events, with
    one insert each when the block ends without an error (the rows are built when recorded,
    with the ticket as it was then). For the steps of one action that only write: nothing
    in the block may read the history back. Nested blocks write with the outermost."""
    if _batch.get() is not None:
        yield
        return
    pending: list[_Pending] = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    _write(pending)


def _write(pending: list[_Pending]) -> None:
    if not pending:
        return
    # One hand-built multi-row insert (otrs.bulk: the ORM's compiler cost more than the rows).
    insert(TicketHistory, [p.row for p in pending])
    found = [
        events.ticket_event(p.event, **_event_values(p.row, p.extra, p.old, p.new))
        for p in pending
        if p.event is not None
    ]
    otrs_events.record_many(found)


def _event_values(row: TicketHistory, extra: dict, old: object, new: object) -> dict:
    return {
        "ticket_id": row.ticket_id,
        "actor_id": row.actor_id,
        "article_id": row.article_id,
        "data": {
            **extra,
            "history_id": row.pk,
            "history_type": str(row.history_type),
            "old": old,
            "new": new,
        },
    }
