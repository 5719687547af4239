"""The ticket domain's events (OTRS's event names), recorded in the durable outbox.

Actions record them in their own transaction, through :func:`tickets.actions.record_history`
(a history row and its event, together) or, for the few events that have no history row,
:func:`record`. Handlers subscribe with :func:`otrs.events.subscribe` in their app's
``ready()`` (see :mod:`tickets.receivers`) and get each committed change's events as one
batch, at least once.

Every ticket event's payload carries raw values: ``article_id`` for article events, and for
events with a history row ``history_id``, ``history_type``, ``old`` and ``new`` (ids and
codes as the history row keeps them, before they became strings) plus the row's extra data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from otrs import events


class TicketEvent(StrEnum):
    TICKET_CREATE = "TicketCreate"
    TICKET_QUEUE_UPDATE = "TicketQueueUpdate"
    TICKET_STATE_UPDATE = "TicketStateUpdate"
    TICKET_PENDING_TIME_UPDATE = "TicketPendingTimeUpdate"
    TICKET_OWNER_UPDATE = "TicketOwnerUpdate"
    TICKET_RESPONSIBLE_UPDATE = "TicketResponsibleUpdate"
    TICKET_LOCK_UPDATE = "TicketLockUpdate"
    TICKET_LOCK_TIMEOUT = "TicketLockTimeout"
    TICKET_PRIORITY_UPDATE = "TicketPriorityUpdate"
    TICKET_TITLE_UPDATE = "TicketTitleUpdate"
    TICKET_TYPE_UPDATE = "TicketTypeUpdate"
    TICKET_SERVICE_UPDATE = "TicketServiceUpdate"
    TICKET_SLA_UPDATE = "TicketSLAUpdate"
    TICKET_CUSTOMER_UPDATE = "TicketCustomerUpdate"
    TICKET_SUBSCRIBE = "TicketSubscribe"
    TICKET_UNSUBSCRIBE = "TicketUnsubscribe"
    TICKET_LINK_ADD = "TicketLinkAdd"
    TICKET_LINK_DELETE = "TicketLinkDelete"
    TICKET_MERGE = "TicketMerge"
    # The ticket is gone (a GenericAgent job deleted it); its history went with it.
    TICKET_DELETE = "TicketDelete"
    TICKET_UNMERGE = "TicketUnmerge"
    # A process ticket started or moved to another activity (Znuny: the dynamic field
    # ProcessManagementActivityID changed).
    TICKET_PROCESS_UPDATE = "TicketProcessUpdate"
    TICKET_ACCOUNT_TIME = "TicketAccountTime"
    # An agent was named with @login in a note (not an OTRS event; Zammad's mention).
    TICKET_MENTION = "TicketMention"
    ESCALATION_RESPONSE_TIME_START = "EscalationResponseTimeStart"
    ESCALATION_UPDATE_TIME_START = "EscalationUpdateTimeStart"
    ESCALATION_SOLUTION_TIME_START = "EscalationSolutionTimeStart"
    ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE = "EscalationResponseTimeNotifyBefore"
    ESCALATION_UPDATE_TIME_NOTIFY_BEFORE = "EscalationUpdateTimeNotifyBefore"
    ESCALATION_SOLUTION_TIME_NOTIFY_BEFORE = "EscalationSolutionTimeNotifyBefore"
    ESCALATION_RESPONSE_TIME_STOP = "EscalationResponseTimeStop"
    ESCALATION_UPDATE_TIME_STOP = "EscalationUpdateTimeStop"
    ESCALATION_SOLUTION_TIME_STOP = "EscalationSolutionTimeStop"
    # At most one per ticket and escalation run (spec section 6), and the pending reminder
    # (spec section 7): what the agent notifications listen to.
    NOTIFICATION_ESCALATION = "NotificationEscalation"
    NOTIFICATION_ESCALATION_NOTIFY_BEFORE = "NotificationEscalationNotifyBefore"
    NOTIFICATION_PENDING_REMINDER = "NotificationPendingReminder"

    TICKET_DYNAMIC_FIELD_UPDATE = "TicketDynamicFieldUpdate"
    ARTICLE_CREATE = "ArticleCreate"
    ARTICLE_AUTO_RESPONSE = "ArticleAutoResponse"
    # An inbound mail's article is due the queue's auto response (sent by the handler in
    # tickets.autoresponses after the commit); not an OTRS event.
    ARTICLE_AUTO_RESPONSE_DUE = "ArticleAutoResponseDue"
    ARTICLE_EMAIL_SENDING_QUEUED = "ArticleEmailSendingQueued"
    ARTICLE_EMAIL_SENDING_SENT = "ArticleEmailSendingSent"
    ARTICLE_EMAIL_SENDING_ERROR = "ArticleEmailSendingError"


OBJECT_TYPE = "ticket"

# What an automatic change (a GenericAgent event job, a process step after an event) carries
# in its history rows and so in its events: how deep it stands in a chain of automatic
# changes. Each handler of that kind counts its own key up and carries the others on
# (``tickets.actions.recorded_as``), so a loop through several of them still ends.
CHAIN_KEYS = ("genericagent_depth", "process_depth")


def chain_of(payloads: Iterable[Mapping]) -> dict[str, int]:
    """The deepest value of each chain key among the events' ``payloads`` (absent keys are
    left out)."""
    found: dict[str, int] = {}
    for payload in payloads:
        for key in CHAIN_KEYS:
            try:
                value = int(payload[key])
            except (KeyError, TypeError, ValueError):
                continue
            found[key] = max(found.get(key, value), value)
    return found


def record(
    name: TicketEvent,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
) -> None:
    """Record a ticket event in the current transaction (for events without a history
    row; a change with history goes through :func:`tickets.actions.record_history`)."""
    events.record(
        ticket_event(name, ticket_id=ticket_id, actor_id=actor_id, article_id=article_id, data=data)
    )


def ticket_event(
    name: TicketEvent,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
) -> events.Event:
    """The event :func:`record` records (for recording several at once)."""
    payload = dict(data or {})
    if article_id is not None:
        payload["article_id"] = article_id
    return events.Event(
        name=TicketEvent(name),
        object_type=OBJECT_TYPE,
        object_id=ticket_id,
        actor_id=actor_id,
        payload=payload,
    )
