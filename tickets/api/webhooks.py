"""What the tickets offer to webhooks (:mod:`otrs.webhooks`): every ticket event, filters by
queue, state, priority and type (the ticket's values when the event is delivered), and the
ticket's main fields in each payload."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from otrs import webhooks

from ..events import OBJECT_TYPE, TicketEvent
from ..models import Priority, Queue, State, Ticket, TicketType


def _column(name: str):
    def values(ids: set[int]) -> dict[int, int]:
        return dict(Ticket.objects.filter(pk__in=ids).values_list("pk", name))

    return values


def describe(ids: set[int]) -> dict[int, dict]:
    rows = Ticket.objects.filter(pk__in=ids).select_related(
        "queue", "state", "priority", "type", "owner", "responsible"
    )
    return {
        t.pk: {
            "id": t.pk,
            "number": t.number,
            "title": t.title,
            "queue": {"id": t.queue_id, "name": t.queue.full_name},
            "state": {"id": t.state_id, "name": t.state.name, "state_type": t.state.state_type},
            "priority": {"id": t.priority_id, "name": t.priority.name},
            "type": {"id": t.type_id, "name": t.type.name},
            "lock": t.lock,
            "owner": {"id": t.owner_id, "username": t.owner.username},
            "responsible": {"id": t.responsible_id, "username": t.responsible.username},
            "customer_id": t.customer_id,
            "customer_user": t.customer_user,
            "merged_into": t.merged_into_id,
            "created_at": t.created_at,
            "changed_at": t.changed_at,
        }
        for t in rows
    }


webhooks.register(
    webhooks.Source(
        object_type=OBJECT_TYPE,
        label=_("Tickets"),
        events=list(TicketEvent),
        filters=[
            webhooks.Filter(
                "queue",
                _("Queues"),
                lambda: Queue.objects.order_by("full_name").values_list("pk", "full_name"),
                _column("queue_id"),
            ),
            webhooks.Filter(
                "state",
                _("States"),
                lambda: State.objects.order_by("name").values_list("pk", "name"),
                _column("state_id"),
            ),
            webhooks.Filter(
                "priority",
                _("Priorities"),
                lambda: Priority.objects.order_by("level").values_list("pk", "name"),
                _column("priority_id"),
            ),
            webhooks.Filter(
                "type",
                _("Types"),
                lambda: TicketType.objects.order_by("name").values_list("pk", "name"),
                _column("type_id"),
            ),
        ],
        describe=describe,
    )
)
