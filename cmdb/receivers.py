"""Event handlers of the CMDB: a ticket's state change recomputes the incident state of the
CIs it is linked to (only with ``CMDB_INCIDENT_FROM_TICKETS``)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from otrs import events

HANDLER = "cmdb.ticket_incidents"


def ticket_state_changed(batch: events.Batch) -> None:
    if not settings.CMDB_INCIDENT_FROM_TICKETS:
        return
    # Imported here: handlers run after the apps are ready.
    from otrs.accounts.models import User

    from .actions._incidents import recalculate
    from .models import TicketLink

    ticket_ids = {event.object_id for event in batch.events if event.object_id}
    ci_ids = set(
        TicketLink.objects.filter(ticket_id__in=ticket_ids).values_list("configitem_id", flat=True)
    )
    if ci_ids:
        with transaction.atomic():
            recalculate(ci_ids, actor=User.objects.get(username="system"))


def register() -> None:
    events.subscribe(HANDLER, ticket_state_changed, events=["TicketStateUpdate"])
