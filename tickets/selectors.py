"""Read-side queries of the agent portal: the queue view, the queue tree and the zoom.

Every query starts from :func:`tickets.access.visible_to` (or, for one ticket,
:func:`tickets.access.access_ticket`), so lists and detail pages follow the same rules as
the actions. Each function runs a fixed number of queries, however many rows or articles
it returns; ``tests/tickets/test_selectors.py`` pins those numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections
from django.db.models import Count, Prefetch

from otrs.permissions import PermissionKey

from . import access
from .choices import VIEWABLE_STATE_TYPES
from .models import Article, Attachment, Queue, State, Ticket, TicketHistory

# The queue view's sort orders; the id breaks ties so that pages never overlap.
ORDERINGS = {
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
}
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class QueuePage:
    """One page of a queue view. ``has_next`` comes from reading one row more than shown,
    so no ``COUNT(*)`` runs over the queue; the queue tree's counts give the total."""

    tickets: list[Ticket]
    page: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class TicketZoom:
    """A ticket with everything the zoom page shows."""

    ticket: Ticket
    articles: list[Article]
    history: list[TicketHistory]


def viewable_state_ids() -> list[int]:
    """The states whose tickets show in queue views (OTRS ``Ticket::ViewableStateType``).

    Read as ids rather than joined, so that the ticket queries can walk the
    ``(queue, state, ...)`` indexes; states are few and this is one small query.
    """
    return list(
        State.objects.filter(state_type__in=VIEWABLE_STATE_TYPES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def queue_page(
    user,
    queue: Queue | int,
    *,
    page: int = 1,
    per_page: int = 50,
    order: str = "oldest",
) -> QueuePage:
    """A page of the tickets in viewable states of ``queue`` that ``user`` may see.

    Two ticket queries: the ids of the page, then those tickets with their queue, state,
    priority and owner (one join, whatever the page size).
    """
    if order not in ORDERINGS:
        raise ValueError(f"unknown order {order!r}; use one of {sorted(ORDERINGS)}")
    page = max(int(page), 1)
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    queue_id = queue.pk if isinstance(queue, Queue) else int(queue)
    offset = (page - 1) * per_page
    visible = access.visible_to(user, PermissionKey.RO).filter(queue_id=queue_id)
    # One row more than shown tells whether there is a next page, without a COUNT(*).
    ids = _page_ids(visible, viewable_state_ids(), ORDERINGS[order], offset, per_page + 1)
    by_id = {}
    if ids:
        by_id = visible.filter(pk__in=ids).select_related("queue", "state", "priority", "owner")
        by_id = {ticket.pk: ticket for ticket in by_id}
    rows = [by_id[pk] for pk in ids if pk in by_id]
    return QueuePage(
        tickets=rows[:per_page], page=page, per_page=per_page, has_next=len(rows) > per_page
    )


def _page_ids(visible, state_ids, ordering, offset: int, limit: int) -> list[int]:
    """The ids of one page of ``visible`` in ``state_ids``, in ``ordering``.

    ``state_id IN (...) ORDER BY created_at`` cannot be read in order from the
    ``(queue, state, created_at, id)`` index: the database would fetch and sort every
    viewable ticket of the queue (a third of a second for 100,000 open tickets). So each
    state is read on its own, in index order and only as far as the page reaches, and the
    short runs are merged (``UNION ALL`` of ordered, limited selects; PostgreSQL does a merge
    append). SQLite cannot limit the parts of a UNION; there a plain query does.
    """
    if not state_ids:
        return []
    connection = connections[visible.db]
    if len(state_ids) > 1 and connection.features.supports_slicing_ordering_in_compound:
        parts = [
            visible.filter(state_id=state_id)
            .order_by(*ordering)
            .values_list("id", "created_at")[: offset + limit]
            for state_id in state_ids
        ]
        combined = parts[0].union(*parts[1:], all=True).order_by(*ordering)
    else:
        combined = (
            visible.filter(state_id__in=state_ids)
            .order_by(*ordering)
            .values_list("id", "created_at")
        )
    return [pk for pk, _created in combined[offset : offset + limit]]


def queue_counts(user) -> dict[int, int]:
    """``{queue_id: n}``: how many tickets in viewable states ``user`` may see per queue."""
    rows = (
        access.visible_to(user, PermissionKey.RO)
        .filter(state_id__in=viewable_state_ids())
        .values("queue_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("queue_id", "n")
    )
    return dict(rows)


def ticket_zoom(user, ticket_id: int) -> TicketZoom:
    """The ticket (``Http404`` if missing or not visible), its articles with their authors
    and attachments, and its history with the actors."""
    ticket = access.access_ticket(user, ticket_id, need=PermissionKey.RO)
    # The attachments' bytes stay in the database until someone downloads one.
    attachments = Attachment.objects.defer("db_content").order_by("pk")
    articles = list(
        Article.objects.filter(ticket=ticket)
        .select_related("created_by")
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "id")
    )
    history = list(
        TicketHistory.objects.filter(ticket=ticket)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    return TicketZoom(ticket=ticket, articles=articles, history=history)
