"""Process transitions after changes made anywhere: the event handler (Znuny's
``TicketProcessTransitions`` event module, on the durable events).

Every committed change of a ticket (a plain screen, the mail, GenericAgent, the API: any
ticket action records its events) reaches :func:`handle` after the commit, in a worker, at
least once. For each ticket of the batch that stands in a running process,
:func:`tickets.processes.engine.follow_change` checks the transitions of its activity on the
ticket as it is now and moves it on when one holds: once per ticket and batch, whatever
the number of its events (Znuny too checks once per ticket and request).

Left out: events made inside a process step (they carry ``process_step``). That step checked
the transitions itself after its changes, to the end or until its limit stopped it, so
checking again would find nothing, or go round the circle the limit cut.
"""

from __future__ import annotations

from otrs import events

from ..events import OBJECT_TYPE, TicketEvent, chain_of
from ..models import TicketProcess
from . import engine

HANDLER = "tickets.process_transitions"

# The changes that can let a transition's condition hold: every attribute the condition
# language reads (tickets.automation.attributes), custom fields, articles, escalations.
EVENTS = frozenset(
    {
        TicketEvent.TICKET_CREATE,
        TicketEvent.TICKET_QUEUE_UPDATE,
        TicketEvent.TICKET_STATE_UPDATE,
        TicketEvent.TICKET_PENDING_TIME_UPDATE,
        TicketEvent.TICKET_OWNER_UPDATE,
        TicketEvent.TICKET_RESPONSIBLE_UPDATE,
        TicketEvent.TICKET_LOCK_UPDATE,
        TicketEvent.TICKET_LOCK_TIMEOUT,
        TicketEvent.TICKET_PRIORITY_UPDATE,
        TicketEvent.TICKET_TITLE_UPDATE,
        TicketEvent.TICKET_TYPE_UPDATE,
        TicketEvent.TICKET_SERVICE_UPDATE,
        TicketEvent.TICKET_SLA_UPDATE,
        TicketEvent.TICKET_CUSTOMER_UPDATE,
        TicketEvent.TICKET_MERGE,
        TicketEvent.TICKET_UNMERGE,
        TicketEvent.TICKET_DYNAMIC_FIELD_UPDATE,
        TicketEvent.ARTICLE_CREATE,
        TicketEvent.ESCALATION_RESPONSE_TIME_START,
        TicketEvent.ESCALATION_UPDATE_TIME_START,
        TicketEvent.ESCALATION_SOLUTION_TIME_START,
        TicketEvent.ESCALATION_RESPONSE_TIME_STOP,
        TicketEvent.ESCALATION_UPDATE_TIME_STOP,
        TicketEvent.ESCALATION_SOLUTION_TIME_STOP,
        TicketEvent.NOTIFICATION_ESCALATION,
        TicketEvent.NOTIFICATION_ESCALATION_NOTIFY_BEFORE,
    }
)


def handle(batch: events.Batch) -> None:
    by_ticket: dict[int, list[events.Event]] = {}
    for event in batch.events:
        if event.object_type != OBJECT_TYPE or event.object_id is None:
            continue
        if "process_step" in event.payload:
            continue  # see the module docstring
        by_ticket.setdefault(event.object_id, []).append(event)
    for ticket_id, found in by_ticket.items():
        engine.follow_change(
            ticket_id,
            key=f"{batch.key}:{ticket_id}",
            events=[str(e.name) for e in found],
            caused_by=found[0].actor_id,
            chain=chain_of(e.payload for e in found),
        )


def interested(names: frozenset[str]) -> bool:
    """Whether any ticket stands in a running process: a site without process tickets gets
    no delivery of this handler at all."""
    return TicketProcess.objects.filter(process__state__in=engine.RUNNING).exists()


def subscribe() -> None:
    events.subscribe(HANDLER, handle, events=EVENTS, interested=interested)
