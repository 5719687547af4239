"""The one access layer for agents and tickets.

Two questions, one rule set (OTRS ``Ticket::Permission``):

* :func:`visible_to` (a queryset filter): which tickets may ``user`` act on with ``need``;
* :func:`can` (one ticket): may ``user`` do ``need`` to this ticket.

The rules, any of which grants: the owner may do anything; the responsible may do
anything; a group grant of ``need`` (or ``rw``) on the ticket's queue's group; a watcher may
read (``ro``) only. Invalid users and groups grant nothing; customers and the system
user get nothing here (the customer portal has its own rules).

:func:`access_ticket` is how views fetch a ticket: missing and forbidden both raise
``Http404``, so a refusal never tells that a ticket exists.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from otrs.permissions import PermissionKey, grants_for

from .models import Ticket, TicketWatcher


def _is_active_agent(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_agent)


def ticket_filter(user, need: str = PermissionKey.RO) -> Q:
    """The rule set as a ``Q`` over ``Ticket``."""
    if not _is_active_agent(user):
        return Q(pk__in=[])
    condition = (
        Q(owner=user)
        | Q(responsible=user)
        | Q(queue__group_id__in=sorted(grants_for(user).group_ids(need)))
    )
    if need == PermissionKey.RO:
        condition |= Q(Exists(TicketWatcher.objects.filter(ticket=OuterRef("pk"), user=user)))
    return condition


def visible_to(user, need: str = PermissionKey.RO, queryset: QuerySet | None = None) -> QuerySet:
    """The tickets ``user`` may act on with ``need``: the start of every list."""
    base = Ticket.objects.all() if queryset is None else queryset
    return base.filter(ticket_filter(user, need))


def can(user, ticket: Ticket, need: str = PermissionKey.RO) -> bool:
    """Whether ``user`` may act on ``ticket`` with ``need``; the same rules as above."""
    if not _is_active_agent(user):
        return False
    if ticket.owner_id == user.pk or ticket.responsible_id == user.pk:
        return True
    # Grants never include invalid groups (see otrs.permissions.grants).
    if grants_for(user).allows(ticket.queue.group_id, need):
        return True
    if need == PermissionKey.RO:
        return TicketWatcher.objects.filter(ticket=ticket, user=user).exists()
    return False


def can_use_queue(user, queue, need: str) -> bool:
    """Group-level keys that belong to a queue, not a ticket: ``create``, ``move_into``."""
    return _is_active_agent(user) and grants_for(user).allows(queue.group_id, need)


def access_ticket(user, ticket_id: int, *, need: str = PermissionKey.RO) -> Ticket:
    """The ticket, if ``user`` may act on it with ``need``; else ``Http404``."""
    ticket = (
        Ticket.objects.select_related("queue", "state", "priority", "type", "owner", "responsible")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or not can(user, ticket, need):
        raise Http404("No such ticket.")
    return ticket
