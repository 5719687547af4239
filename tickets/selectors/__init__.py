"""Read-side queries of the agent portal: the overviews, the queue tree and the dashboard
here; the zoom in :mod:`.zoom`, the merge previews in :mod:`.merge`.

Every query starts from :func:`tickets.access.visible_to` (or, for one ticket,
:func:`tickets.access.get_or_404`), so lists and detail pages follow the same rules as
the actions. Each function runs a fixed number of queries, however many rows or articles
it returns; ``tests/tickets/test_selectors.py`` pins those numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from otrs.permissions import PermissionKey, grants_for
from otrs.web.pagination import Page, paginate

from .. import access
from ..choices import (
    VIEWABLE_STATE_TYPES,
    LockState,
    StateType,
    TicketFlagKey,
)
from ..models import (
    SLA,
    Mention,
    Queue,
    QueueTicketCount,
    QueueTicketCountDelta,
    State,
    Ticket,
    TicketFlag,
    TicketWatcher,
)
from ..models.master import HIERARCHY_SEPARATOR
from .merge import MergePreview as MergePreview
from .merge import UnmergePreview as UnmergePreview
from .merge import merge_preview as merge_preview
from .merge import unmerge_preview as unmerge_preview
from .zoom import TicketZoom as TicketZoom
from .zoom import ticket_zoom as ticket_zoom

MAX_PER_PAGE = 500
# The overviews' sort keys (the ticket table's column links) and what each orders by; the
# id follows in the same direction so that pages never overlap. "age" orders by the
# creation time, so ascending is oldest first, as OTRS sorts its Age column. State and
# priority order by their ids, as OTRS does (TicketSearch's SortBy State / Priority): the
# default states' ids follow the workflow (new, closed ..., open, removed, pending ...) and
# the default priorities' ids their level (1 very low ... 5 very high); within one state or
# priority the oldest ticket comes first (descending reverses the whole order). An order by
# the joined name or level would sort every ticket of the list, as no index can serve it.
SORTS = {
    "number": ("number",),
    "age": ("created_at",),
    "state": ("state_id", "created_at"),
    "priority": ("priority_id", "created_at"),
    "title": ("title",),
    # Tickets without an escalation time come last either way (see ticket_page).
    "escalation": ("escalation_at",),
}
SORT_ORDERS = ("asc", "desc")
# The sorts the queue view reads in index order, one ordered read per viewable state (see
# _page_ids): age from the ``ticket_queue_view`` index, state from the same index (the
# state is fixed within a part), priority from ``ticket_queue_priority`` and title from
# ``ticket_queue_title``. Not escalation: tickets without an escalation time come last in
# both directions, and PostgreSQL read that run of a busy state from the single-column
# ``ticket_escalation`` index, all NULLs of every queue (100 ms at 100,000 tickets; see
# bench/README.md), so it stays one plain ordered query.
QUEUE_SORTS = ("age", "state", "priority", "title")
# The columns every ticket table shows, read in the same query as the rows.
_ROW_RELATED = ("queue", "state", "priority", "owner")


@dataclass(frozen=True)
class _Order:
    """One of the :data:`SORTS` in one of the :data:`SORT_ORDERS`."""

    sort: str
    order: str

    @property
    def fields(self) -> tuple[str, ...]:
        """The ``order_by`` fields, the id last (tickets without an escalation time are
        not placed by these: see :meth:`expressions`)."""
        sign = "-" if self.order == "desc" else ""
        return tuple(f"{sign}{field}" for field in (*SORTS[self.sort], "id"))

    def expressions(self) -> list:
        """The ``order_by`` of one plain query: tickets without an escalation time last
        in either direction."""
        ordering: list = list(self.fields)
        if self.sort == "escalation":
            due = F("escalation_at")
            desc = self.order == "desc"
            ordering[0] = due.desc(nulls_last=True) if desc else due.asc(nulls_last=True)
        return ordering


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
    sort: str = "age",
    order: str = "asc",
    page: int = 1,
    per_page: int = 50,
    total: int | None = None,
) -> Page:
    """A page of the tickets in viewable states of ``queue`` that ``user`` may see, in one
    of the :data:`QUEUE_SORTS` orders (age ascending: oldest first). ``total``: how many
    there are, when the caller knows (the queue tree's count).

    Two ticket queries: the ids of the page, then those tickets with their queue, state,
    priority and owner (one join, whatever the page size).
    """
    if sort not in QUEUE_SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {QUEUE_SORTS}")
    if order not in SORT_ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {SORT_ORDERS}")
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    queue_id = queue.pk if isinstance(queue, Queue) else int(queue)
    visible = access.visible_to(user, PermissionKey.RO).filter(queue_id=queue_id)
    state_ids_ = viewable_state_ids()
    ordering = _Order(sort, order)

    def fetch(offset: int, limit: int) -> list[Ticket]:
        ids = _page_ids(visible, state_ids_, ordering, offset, limit)
        by_id: dict[int, Ticket] = {}
        if ids:
            found = visible.filter(pk__in=ids).select_related(*_ROW_RELATED)
            by_id = {ticket.pk: ticket for ticket in found}
        return [by_id[pk] for pk in ids if pk in by_id]

    counted = total if total is not None else visible.filter(state_id__in=state_ids_)
    return paginate(fetch, number=page, per_page=per_page, total=counted)


def _columns(ordering: Sequence[str]) -> list[str]:
    """The fields ``ordering`` names, the id first: what a UNION's parts select so that
    the combined rows can be ordered."""
    fields = [name.lstrip("-") for name in ordering]
    return ["id", *(name for name in fields if name != "id")]


def _page_ids(visible, state_ids, ordering: _Order, offset: int, limit: int) -> list[int]:
    """The ids of one page of ``visible`` in ``state_ids``, in ``ordering``.

    ``state_id IN (...) ORDER BY created_at`` cannot be read in order from the
    ``(queue, state, created_at, id)`` index: the database would fetch and sort every
    viewable ticket of the queue (a third of a second for 100,000 open tickets). So each
    state is read on its own, in index order and only as far as the page reaches, and the
    short runs are merged (:func:`_merge`). Within one state an order by state then age is
    the age order, an order by priority then age reads ``(queue, state, priority,
    created_at, id)`` and one by title ``(queue, state, title, id)``. SQLite cannot limit
    the parts of a UNION; there a plain query does.
    """
    if not state_ids:
        return []
    connection = connections[visible.db]
    if len(state_ids) > 1 and connection.features.supports_slicing_ordering_in_compound:
        parts = [visible.filter(state_id=state_id) for state_id in state_ids]
        return _merge(parts, ordering, offset, limit)
    plain = visible.filter(state_id__in=state_ids).order_by(*ordering.expressions())
    return list(plain.values_list("id", flat=True)[offset : offset + limit])


def _merge(parts: list, ordering: _Order, offset: int, limit: int, *, distinct=False) -> list:
    """The ids of ``limit`` tickets from ``offset`` of the union of ``parts`` (querysets of
    tickets) in ``ordering``: each part read in its index order, only as far as the page
    reaches, and the short runs merged (``UNION ALL`` of ordered, limited selects;
    PostgreSQL does a merge append). ``distinct``: a ticket may be in several parts."""
    fields = ordering.fields
    columns = _columns(fields)
    limited = [part.order_by(*fields).values_list(*columns)[: offset + limit] for part in parts]
    combined = limited[0].union(*limited[1:], all=not distinct).order_by(*fields)
    return [row[0] for row in combined[offset : offset + limit]]


def queue_counts(user) -> dict[int, int]:
    """``{queue_id: n}``: how many tickets in viewable states ``user`` may see per queue.

    For an agent, from the maintained counts (:mod:`tickets.ticket_counts`) of the queues of
    their groups, plus the tickets they see in other queues as owner, responsible or watcher
    (counted, but only in those other queues, and only when there are any): a few dozen
    rows however many tickets there are (and the changes of the last minute, see
    :func:`tickets.ticket_counts.fold`). Three queries, four with other queues."""
    viewable = viewable_state_ids()
    scope = access.agent_scope(user, PermissionKey.RO)
    if scope is None:
        rows = (
            access.visible_to(user, PermissionKey.RO)
            .filter(state_id__in=viewable)
            .values("queue_id")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("queue_id", "n")
        )
        return dict(rows)
    group_ids, personal = scope
    # The counts and their changes not yet folded in, per queue, in one query.
    parts = [
        model.objects.filter(queue__group_id__in=group_ids, state_id__in=viewable)
        .values("queue_id")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("queue_id", "total")
        for model in (QueueTicketCount, QueueTicketCountDelta)
    ]
    counts: dict[int, int] = {}
    for queue_id, n in parts[0].union(parts[1], all=True):
        counts[queue_id] = counts.get(queue_id, 0) + int(n)
    counts = {queue_id: n for queue_id, n in counts.items() if n}
    others = list(
        Queue.objects.exclude(group_id__in=group_ids).order_by().values_list("pk", flat=True)
    )
    if others and personal:
        parts = [
            tickets.filter(queue_id__in=others, state_id__in=viewable).values_list("pk", "queue_id")
            for tickets in personal
        ]
        # UNION (not ALL): a ticket both owned and watched counts once.
        for _pk, queue_id in parts[0].union(*parts[1:]):
            counts[queue_id] = counts.get(queue_id, 0) + 1
    return counts


def state_ids(*state_types: str) -> list[int]:
    """The ids of the states of ``state_types``; one small query (see
    :func:`viewable_state_ids` for why ids rather than a join)."""
    return list(
        State.objects.filter(state_type__in=state_types).order_by("pk").values_list("pk", flat=True)
    )


def ticket_page(
    tickets: QuerySet,
    *,
    sort: str = "age",
    order: str = "asc",
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of ``tickets`` (a queryset that starts from :func:`tickets.access.visible_to`)
    in one of the :data:`SORTS` orders, with the columns of the ticket table.

    One query, whatever the page size: the rows joined to their queue, state, priority and
    owner, one row more than shown to tell whether there is a next page (and a capped
    count where the page does not tell the total, see :mod:`otrs.web.pagination`).
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {sorted(SORTS)}")
    if order not in SORT_ORDERS:
        raise ValueError(f"unknown order {order!r}; use one of {SORT_ORDERS}")
    per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
    ordering = _Order(sort, order).expressions()
    rows = tickets.select_related(*_ROW_RELATED).order_by(*ordering)
    return paginate(rows, number=page, per_page=per_page, total=tickets)


def unseen_ids(user, tickets: Iterable[Ticket]) -> set[int]:
    """The ids of those of ``tickets`` that ``user`` has not seen (no ``seen`` flag); one
    query for all of them, none for an empty list."""
    ids = {ticket.pk for ticket in tickets}
    if not ids:
        return set()
    seen = TicketFlag.objects.filter(
        user=user, key=TicketFlagKey.SEEN, ticket_id__in=sorted(ids)
    ).values_list("ticket_id", flat=True)
    return ids - set(seen)


# The queue tree.


@dataclass(frozen=True, eq=False)
class QueueNode:
    """One queue of the queue tree: ``label`` is its name below its nearest ancestor in the
    tree (its full name when no ancestor is shown), ``depth`` how many ancestors are shown
    above it, ``children`` the nodes right below it."""

    queue: Queue
    label: str
    depth: int
    count: int
    children: list[QueueNode] = field(default_factory=list)


def _read_group_ids(user) -> list[int]:
    """The groups where ``user`` holds ``ro`` (or ``rw``); none for anyone but an active
    agent. Cached on the user object (see :mod:`otrs.permissions.grants`)."""
    return sorted(grants_for(user).group_ids(PermissionKey.RO))


def queue_tree(user, counts: dict[int, int] | None = None) -> list[QueueNode]:
    """The queues ``user`` may read, in tree order (each node followed by its descendants,
    by name), with ``counts`` (by default :func:`queue_counts`) of the tickets in viewable
    states they may see. The roots are the nodes of depth 0; each node lists its children.

    A queue is listed when it is valid and belongs to a group where ``user`` holds ``ro``
    (or ``rw``), or when ``user`` sees tickets in it anyway (as owner, responsible or
    watcher). Other queues stay out, even their names. One query beyond the counts.
    """
    counts = queue_counts(user) if counts is None else counts
    condition = Q(is_valid=True, group_id__in=_read_group_ids(user))
    with_tickets = sorted(pk for pk, n in counts.items() if n)
    if with_tickets:
        condition |= Q(pk__in=with_tickets)
    queues = sorted(Queue.objects.filter(condition), key=_tree_key)
    shown: dict[str, QueueNode] = {}
    nodes = []
    for queue in queues:
        parts = queue.full_name.split(HIERARCHY_SEPARATOR)
        parent, label = None, queue.full_name
        # Sorted by path, every shown ancestor comes before its descendants.
        for cut in range(len(parts) - 1, 0, -1):
            parent = shown.get(HIERARCHY_SEPARATOR.join(parts[:cut]))
            if parent is not None:
                label = HIERARCHY_SEPARATOR.join(parts[cut:])
                break
        node = QueueNode(
            queue=queue,
            label=label,
            depth=0 if parent is None else parent.depth + 1,
            count=counts.get(queue.pk, 0),
        )
        if parent is not None:
            parent.children.append(node)
        shown[queue.full_name] = node
        nodes.append(node)
    return nodes


def _tree_key(queue: Queue) -> tuple:
    # By path, not by the full name as a string: "A::B" belongs right after "A", and
    # "A 2" (a space sorts before ":") after both. Case-insensitively, on every database.
    parts = queue.full_name.split(HIERARCHY_SEPARATOR)
    return ([part.casefold() for part in parts], queue.full_name)


def queue_tickets(user, queue: Queue | int) -> QuerySet:
    """The tickets of ``queue`` in viewable states that ``user`` may see (the queue view's
    rows in any order; :func:`queue_page` is the fast path for the age orders)."""
    queue_id = queue.pk if isinstance(queue, Queue) else int(queue)
    return access.visible_to(user, PermissionKey.RO).filter(
        queue_id=queue_id, state_id__in=viewable_state_ids()
    )


# The overviews: each is a queryset over what the user may see, in no particular order.


def open_tickets(user) -> QuerySet:
    """Tickets in viewable states (new, open, pending) that ``user`` may see."""
    return access.visible_to(user, PermissionKey.RO).filter(state_id__in=viewable_state_ids())


def closed_tickets(user) -> QuerySet:
    """Tickets in closed states that ``user`` may see."""
    return access.visible_to(user, PermissionKey.RO).filter(
        state_id__in=state_ids(StateType.CLOSED)
    )


def new_tickets(user) -> QuerySet:
    """Tickets in a state of type new in the queues where ``user`` holds ``ro``."""
    return access.visible_to(user, PermissionKey.RO).filter(
        queue__group_id__in=_read_group_ids(user), state_id__in=state_ids(StateType.NEW)
    )


def reminder_tickets(user, now: datetime | None = None) -> QuerySet:
    """Tickets in a pending reminder state whose time has come (``pending_until <= now``)
    that ``user`` owns, is responsible for, or sees in a queue where they hold ``ro``."""
    mine = Q(owner=user) | Q(responsible=user) | Q(queue__group_id__in=_read_group_ids(user))
    return access.visible_to(user, PermissionKey.RO).filter(
        mine,
        state_id__in=state_ids(StateType.PENDING_REMINDER),
        pending_until__lte=now or timezone.now(),
    )


def escalated_tickets(user, now: datetime | None = None) -> QuerySet:
    """Tickets in the queues where ``user`` holds ``ro`` that are escalated or escalate
    within :func:`escalation_soon` (the stored ``escalation_at``)."""
    soon = (now or timezone.now()) + escalation_soon()
    return access.visible_to(user, PermissionKey.RO).filter(
        queue__group_id__in=_read_group_ids(user), escalation_at__lte=soon
    )


def locked_tickets(user) -> QuerySet:
    """Tickets ``user`` owns and holds locked (``lock`` or ``tmp_lock``), in any state."""
    return access.visible_to(user, PermissionKey.RO).filter(
        owner=user, lock__in=[LockState.LOCK, LockState.TMP_LOCK]
    )


def watched_tickets(user, *, open_only: bool = True) -> QuerySet:
    """Tickets ``user`` watches (and may still see); by default those in viewable states."""
    tickets = access.visible_to(user, PermissionKey.RO).filter(
        Exists(TicketWatcher.objects.filter(ticket=OuterRef("pk"), user=user))
    )
    return tickets.filter(state_id__in=viewable_state_ids()) if open_only else tickets


def mentioned_tickets(user, *, open_only: bool = True) -> QuerySet:
    """Tickets whose notes mention ``user`` (``@login``) and that they may still see; by
    default those in viewable states."""
    tickets = access.visible_to(user, PermissionKey.RO).filter(
        Exists(Mention.objects.filter(ticket=OuterRef("pk"), user=user))
    )
    return tickets.filter(state_id__in=viewable_state_ids()) if open_only else tickets


def responsible_tickets(user, *, open_only: bool = True) -> QuerySet:
    """Tickets ``user`` is responsible for; by default those in viewable states."""
    tickets = access.visible_to(user, PermissionKey.RO).filter(responsible=user)
    return tickets.filter(state_id__in=viewable_state_ids()) if open_only else tickets


# One page of an overview by name, with an indexed path for the default (age) order.

# Beyond this many parts, one plain query is cheaper than the merge: planning a UNION
# takes about a millisecond per part on PostgreSQL (55 ms for 58 parts), while sorting all
# 180,000 open tickets of the benchmark database takes about 500 ms.
MAX_MERGED_PARTS = 120


def _overviews() -> dict:
    return {
        "open": open_tickets,
        "closed": closed_tickets,
        "new": new_tickets,
        "reminders": reminder_tickets,
        "locked": locked_tickets,
        "watched": watched_tickets,
        "watched_all": lambda user: watched_tickets(user, open_only=False),
        "mentioned": mentioned_tickets,
        "mentioned_all": lambda user: mentioned_tickets(user, open_only=False),
        "responsible": responsible_tickets,
        "responsible_all": lambda user: responsible_tickets(user, open_only=False),
    }


# The overviews whose age, state and priority orders have an indexed path: their state
# types, and whether they include the tickets the user sees outside their readable queues
# (as owner, responsible or watcher) or only those of their readable queues.
_INDEXED_PATHS = {
    "open": (VIEWABLE_STATE_TYPES, True),
    "closed": ((StateType.CLOSED,), True),
    "new": ((StateType.NEW,), False),
}
OVERVIEWS = tuple(_overviews())


def overview_page(
    user,
    name: str,
    *,
    sort: str = "age",
    order: str = "asc",
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """A page of the overview ``name`` (one of :data:`OVERVIEWS`) for ``user``, in one of
    the :data:`SORTS` orders. The age, state and priority orders of the open, closed and
    new overviews read the ``(queue, state, ...)`` indexes (see :func:`_merged_ids`); the
    other orders are one plain ordered query (:func:`ticket_page`)."""
    if name not in OVERVIEWS:
        raise ValueError(f"unknown overview {name!r}; use one of {OVERVIEWS}")
    if sort in QUEUE_SORTS and name in _INDEXED_PATHS and order in SORT_ORDERS:
        state_types, personal = _INDEXED_PATHS[name]
        per_page = min(max(int(per_page), 1), MAX_PER_PAGE)
        ordering = _Order(sort, order)
        state_ids_ = state_ids(*state_types)

        def fetch(offset: int, limit: int) -> list[Ticket]:
            return _merged_rows(
                user, state_ids_, personal=personal, ordering=ordering, offset=offset, limit=limit
            )

        total = lambda: _overviews()[name](user)  # noqa: E731 - counted only when needed
        return paginate(fetch, number=page, per_page=per_page, total=total)
    tickets = _overviews()[name](user)
    return ticket_page(tickets, sort=sort, order=order, page=page, per_page=per_page)


def _read_queue_ids(user) -> list[int]:
    group_ids = _read_group_ids(user)
    if not group_ids:
        return []
    return list(
        Queue.objects.filter(group_id__in=group_ids).order_by("pk").values_list("pk", flat=True)
    )


def _merged_rows(user, state_ids_, *, personal: bool, ordering, offset: int, limit: int) -> list:
    """Tickets ``user`` may see in ``state_ids_``, in ``ordering`` (one of the
    :data:`QUEUE_SORTS` orders), ``limit`` of them from ``offset``, with the ticket table's
    columns. Those of the queues
    where ``user`` holds ``ro``, and with ``personal`` also those they see elsewhere as
    owner, responsible or watcher. Three queries (queue ids, page ids, rows)."""
    queue_ids = _read_queue_ids(user)
    visible = access.visible_to(user, PermissionKey.RO)
    ids = _merged_ids(user, visible, queue_ids, state_ids_, personal, ordering, offset, limit)
    if not ids:
        return []
    by_id = {t.pk: t for t in visible.filter(pk__in=ids).select_related(*_ROW_RELATED)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _merged_ids(user, visible, queue_ids, state_ids_, personal, ordering, offset, limit):
    """The ids of one page, in ``ordering``, of the union of small ordered reads.

    Ordering all of an agent's open tickets by age makes the database fetch and sort every
    one of them (half a second for 180,000). But each (queue, state) pair can be read in
    order from the ``(queue, state, created_at, id)`` index (by state and age: the same) or
    the ``(queue, state, priority, created_at, id)`` one, and only as far as the page
    reaches; merging those short runs is what :func:`_page_ids` does for one queue. The
    tickets seen outside the readable queues come from the owner, responsible and watcher
    indexes (``UNION`` drops a ticket found twice there). Where the database cannot limit
    the parts of a ``UNION`` (SQLite), or there are very many parts (or one), one plain
    query does.
    """
    if not state_ids_:
        return []
    pairs = [(q, s) for q in queue_ids for s in state_ids_]
    parts = [visible.filter(queue_id=q, state_id=s) for q, s in pairs]
    if personal:
        elsewhere = visible.filter(state_id__in=state_ids_).exclude(queue_id__in=queue_ids)
        watched = TicketWatcher.objects.filter(ticket=OuterRef("pk"), user=user)
        parts += [
            elsewhere.filter(owner=user),
            elsewhere.filter(responsible=user),
            elsewhere.filter(Exists(watched)),
        ]
    features = connections[visible.db].features
    if (
        len(parts) < 2
        or len(parts) > MAX_MERGED_PARTS
        or not features.supports_slicing_ordering_in_compound
    ):
        plain = visible.filter(state_id__in=state_ids_)
        if not personal:
            plain = plain.filter(queue_id__in=queue_ids)
        plain = plain.order_by(*ordering.expressions())
        return list(plain.values_list("id", flat=True)[offset : offset + limit])
    return _merge(parts, ordering, offset, limit, distinct=personal)


# The dashboard.

DASHBOARD_MAX_ROWS = 10
_ESCALATION_TARGETS = Q(first_response_time__gt=0) | Q(update_time__gt=0) | Q(solution_time__gt=0)


@dataclass(frozen=True)
class Widget:
    """The first rows of one overview; ``has_more`` when the overview has more."""

    tickets: list[Ticket]
    has_more: bool


def escalation_soon() -> timedelta:
    """The escalation widget lists tickets escalated or escalating within this (the setting
    ``DASHBOARD_ESCALATION_SOON_MINUTES``, read at call time)."""
    return timedelta(minutes=settings.DASHBOARD_ESCALATION_SOON_MINUTES)


@dataclass(frozen=True)
class Dashboard:
    """What the agent's dashboard shows; ``escalated``: the tickets of the agent's queues
    that are escalated or escalate within :func:`escalation_soon`, earliest first."""

    locked: Widget
    new: Widget
    reminders: Widget
    watched: Widget
    escalated: Widget
    queues_with_escalation_targets: int
    slas_with_escalation_targets: int

    @property
    def tickets(self) -> list[Ticket]:
        widgets = (self.locked, self.new, self.reminders, self.watched, self.escalated)
        return [ticket for widget in widgets for ticket in widget.tickets]


def dashboard(
    user,
    *,
    rows: int = DASHBOARD_MAX_ROWS,
    now: datetime | None = None,
    widgets: Iterable[str] | None = None,
) -> Dashboard:
    """The dashboard's widgets, each with up to ``rows`` rows (at most
    :data:`DASHBOARD_MAX_ROWS`): one query per widget, whatever their sizes. With
    ``widgets`` (keys), only those are read; the others are empty."""
    rows = min(max(int(rows), 1), DASHBOARD_MAX_ROWS)
    wanted = None if widgets is None else set(widgets)

    def read(key, load) -> Widget:
        return load() if wanted is None or key in wanted else Widget(tickets=[], has_more=False)

    return Dashboard(
        locked=read("locked", lambda: _widget(locked_tickets(user), ("created_at", "id"), rows)),
        new=read("new", lambda: _new_widget(user, rows)),
        reminders=read(
            "reminders",
            lambda: _widget(reminder_tickets(user, now), ("pending_until", "id"), rows),
        ),
        watched=read(
            "watched", lambda: _widget(watched_tickets(user), ("-changed_at", "-id"), rows)
        ),
        escalated=read(
            "escalated",
            lambda: _widget(escalated_tickets(user, now), ("escalation_at", "id"), rows),
        ),
        queues_with_escalation_targets=Queue.objects.filter(
            _ESCALATION_TARGETS, is_valid=True
        ).count(),
        slas_with_escalation_targets=SLA.objects.filter(_ESCALATION_TARGETS, is_valid=True).count(),
    )


def _new_widget(user, rows: int) -> Widget:
    # The new tickets of all of the agent's queues can be many: the indexed path.
    found = _merged_rows(
        user,
        state_ids(StateType.NEW),
        personal=False,
        ordering=_Order("age", "asc"),
        offset=0,
        limit=rows + 1,
    )
    return Widget(tickets=found[:rows], has_more=len(found) > rows)


def _widget(tickets: QuerySet, ordering: Sequence[str], rows: int) -> Widget:
    found = list(tickets.select_related(*_ROW_RELATED).order_by(*ordering)[: rows + 1])
    return Widget(tickets=found[:rows], has_more=len(found) > rows)
