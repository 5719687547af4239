"""The in-app notification part of ``loaddemo``: the bell of a newcomer's agent shows news.

The demo's tickets are made-up history and are loaded muted (nobody is told of them). Here,
outside those blocks, the notifications "I became the owner of a ticket" and "I became
responsible for a ticket" (a new owner becomes responsible too where the system user was)
are shown in the agent portal (the Web transport; not by mail, since the demo's addresses
are made up), and the administrator hands a few open demo tickets to agent1 and one to
agent2 through the ticket actions. Their events then go the way the daemon takes them
(the outbox's delivery to every registered handler) right away, so the notifications are
there without a running daemon; when the daemon runs later, the batches are already
delivered and nothing is made twice.

Idempotent like the rest of the demo: nothing is done once the demo agents have a
notification in the agent portal.
"""

from __future__ import annotations

from django.db import transaction

from otrs.accounts.models import User
from otrs.events.delivery import deliver_batch
from otrs.events.models import EventBatch
from tickets import actions
from tickets.choices import VIEWABLE_STATE_TYPES
from tickets.models import NotificationTransport, Ticket, TicketNotification, WebNotification

KEYS = ["owner_update", "responsible_update"]
# login -> how many open tickets of their queues the administrator hands them.
HANDED = {"agent1": 3, "agent2": 1}
# Queues the tickets come from (agent1 works in Support, agent2 in Sales).
QUEUES = {"agent1": ["Support", "Support::Hardware", "Support::Software"], "agent2": ["Sales"]}


def load(stdout) -> None:
    agents = {u.username: u for u in User.objects.filter(username__in=HANDED)}
    if WebNotification.objects.filter(user__in=agents.values()).exists():
        stdout.write("In-app notifications: the demo agents have theirs already.")
        return
    admin = User.objects.filter(username="admin").first()
    if admin is None or len(agents) != len(HANDED):
        stdout.write("In-app notifications: no demo agents; skipped.")
        return
    for notification in TicketNotification.objects.filter(key__in=KEYS):
        if NotificationTransport.WEB not in notification.transports:
            notification.transports = [NotificationTransport.WEB]
            notification.save(update_fields=["transports"])
    first_batch = (EventBatch.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
    handed = 0
    for login, count in HANDED.items():
        agent = agents[login]
        for ticket in _open_tickets(QUEUES[login], excluding=agent, count=count):
            with transaction.atomic():
                actions.set_owner(ticket, agent, actor=admin)
            handed += 1
    # What the daemon would do with the batches these changes recorded.
    batches = EventBatch.objects.filter(pk__gt=first_batch, dispatched_at__isnull=True)
    for batch_id in batches.order_by("pk").values_list("pk", flat=True):
        deliver_batch(batch_id)
    shown = WebNotification.objects.filter(user__in=agents.values()).count()
    stdout.write(
        f"In-app notifications: a new owner or responsible is told in the agent portal; "
        f"{handed} tickets handed to the demo agents, {shown} notifications for them."
    )


def _open_tickets(queues: list[str], *, excluding: User, count: int) -> list[Ticket]:
    """The newest open, unmerged tickets of ``queues`` not owned by ``excluding``."""
    found = (
        Ticket.objects.filter(
            queue__full_name__in=queues,
            state__state_type__in=VIEWABLE_STATE_TYPES,
            merged_into__isnull=True,
        )
        .exclude(owner=excluding)
        .order_by("-created_at", "-pk")
    )
    return list(found[:count])
