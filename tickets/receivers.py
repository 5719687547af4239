"""The ticket domain's event handlers, subscribed in :meth:`tickets.apps.TicketsConfig.ready`.

Each gets every committed change's events it asked for as one batch, in a Celery worker,
at least once (see :mod:`otrs.events.delivery`): the notifications to agents and customers
(:mod:`tickets.notifications`), the escalation index (:func:`escalation_index`),
the auto responses to inbound mail (:mod:`tickets.autoresponses`), GenericAgent's event jobs
and the process transitions after a change (:mod:`tickets.processes.receivers`). And the ticket
e-mail channel's hand-over points
with the mail transport (:func:`connect_mail_channel`).
"""

from __future__ import annotations

from django.db.models import Count

from otrs import events
from otrs.mail import hooks, spool

from . import autoresponses, notifications
from .actions.email import on_delivery_report
from .actions.escalation import recompute_escalations
from .deliveries import RAW_STORE, is_system_address
from .events import TicketEvent
from .metrics import refresh_metrics
from .models import InboundMessage, InboundStatus
from .postmaster.intake import receive_fetched
from .postmaster.spool import receive_spooled, receive_spooled_group

# The events after which a ticket's escalation columns are recomputed (spec section 6;
# custom fields come with them).
ESCALATION_INDEX = "tickets.escalation_index"
ESCALATION_EVENTS = frozenset(
    {
        TicketEvent.TICKET_CREATE,
        TicketEvent.ARTICLE_CREATE,
        TicketEvent.TICKET_STATE_UPDATE,
        TicketEvent.TICKET_QUEUE_UPDATE,
        TicketEvent.TICKET_SLA_UPDATE,
        TicketEvent.TICKET_SERVICE_UPDATE,
        TicketEvent.TICKET_TYPE_UPDATE,
        TicketEvent.TICKET_PRIORITY_UPDATE,
        TicketEvent.TICKET_CUSTOMER_UPDATE,
        TicketEvent.TICKET_MERGE,
        TicketEvent.TICKET_UNMERGE,
        # Spec 6 lists a custom-field change among the events that recompute.
        TicketEvent.TICKET_DYNAMIC_FIELD_UPDATE,
    }
)


# The events after which a ticket's metrics row is written again (tickets.metrics).
METRICS = "tickets.metrics"
METRICS_EVENTS = ESCALATION_EVENTS | {
    TicketEvent.TICKET_OWNER_UPDATE,
    TicketEvent.TICKET_ACCOUNT_TIME,
    TicketEvent.ESCALATION_UPDATE_TIME_START,
}


def metrics(batch: events.Batch) -> None:
    """Write the metrics rows of the batch's tickets again (idempotent)."""
    refresh_metrics({e.object_id for e in batch.events if e.object_id is not None})


def escalation_index(batch: events.Batch) -> None:
    """Recompute the escalation columns of the batch's tickets (idempotent)."""
    recompute_escalations({e.object_id for e in batch.events if e.object_id is not None})


def subscribe() -> None:
    events.subscribe(ESCALATION_INDEX, escalation_index, events=ESCALATION_EVENTS)
    events.subscribe(METRICS, metrics, events=METRICS_EVENTS)
    events.subscribe(notifications.HANDLER, notifications.handle, events=notifications.EVENTS)
    events.subscribe(
        notifications.RETIRED_CUSTOMER_HANDLER,
        notifications.handle_retired_customer_delivery,
        events=notifications.EVENTS,
        interested=notifications.no_new_batch,
    )
    events.subscribe(autoresponses.HANDLER, autoresponses.handle, events=autoresponses.EVENTS)
    # Imported here: the GenericAgent engine reads the custom fields' and actions' modules.
    from .automation import receivers as generic_agent
    from .processes import receivers as process_transitions

    generic_agent.subscribe()
    process_transitions.subscribe()


def connect_mail_channel() -> None:
    """The ticket e-mail channel takes what the mail transport fetches, hears how the mail it
    queued fared, and tells it which addresses are ours (see :mod:`otrs.mail.hooks`)."""
    hooks.set_inbound_receiver(receive_fetched)
    spool.set_mta_receiver(receive_spooled, receive_spooled_group)
    hooks.on_delivery("tickets", on_delivery_report)
    hooks.on_own_address_check("tickets.system_addresses", is_system_address)
    hooks.set_quarantine_counter(quarantined_per_account)
    hooks.set_raw_store(RAW_STORE)


def quarantined_per_account() -> dict[int, int]:
    """For the transport's mail-health page: quarantined inbound messages per mail account."""
    rows = (
        InboundMessage.objects.filter(status=InboundStatus.QUARANTINED, account__isnull=False)
        .values("account")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["account"]: row["count"] for row in rows}
