"""The agent's dashboard and overviews: queue view, status view, locked, watched, responsible.

Every list comes from :mod:`tickets.selectors`, which start from the access layer, so an
agent sees in a list exactly the tickets they could open. The list views share one way of
reading sort, order and page from the query string (:class:`ListParams`) and one context
builder (:func:`_listing`); each runs a fixed number of queries, whatever the page size.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from otrs.accounts.decorators import agent_required
from otrs.web.pagination import Page, paginate

from .. import columns, selectors
from .. import dashboard as dashboard_widgets
from ..forms.overviews import ORDER_CHOICES, SORT_CHOICES, ListParams, QueueParams, ViewParams


def _per_page(user) -> int:
    return min(max(user.rows_per_page or 25, 1), selectors.MAX_PER_PAGE)


def _listing(request, params: ListParams, page: Page, keep, overview: str, **extra) -> dict:
    """The context every overview's ticket list needs; ``keep``: the query parameters
    (name, value) that sorting keeps, such as the chosen queue or view; ``overview``: whose
    columns (:mod:`tickets.columns`) the list shows."""
    return {
        "sort": params.get("sort"),
        "order": params.get("order"),
        "keep": [(name, value) for name, value in keep if value is not None],
        "page": page,
        "tickets": page.rows,
        "columns": columns.annotate(page.rows, columns.chosen(request.user, overview)),
        "unseen_ids": selectors.unseen_ids(request.user, page.rows),
        "sortable": True,
        "sort_choices": SORT_CHOICES,
        "order_choices": ORDER_CHOICES,
        **extra,
    }


def _overview(request, title, views):
    """An overview page, sorted and paged as the query string says. ``views``: its filters
    as (key, label, overview name of :data:`tickets.selectors.OVERVIEWS`); ``?view=``
    chooses one, the first by default, and with one filter there is nothing to choose."""
    params = ViewParams(request.GET, views=views)
    view = params.get("view")
    page = selectors.overview_page(
        request.user,
        {key: name for key, _label, name in views}[view],
        sort=params.get("sort"),
        order=params.get("order"),
        page=params.get("page"),
        per_page=_per_page(request.user),
    )
    filters = [(key, label) for key, label, _name in views] if len(views) > 1 else []
    keep = [("view", view)] if filters else []
    context = _listing(
        request, params, page, keep, columns.LISTS, title=title, filters=filters, view=view
    )
    return render(request, "tickets/overviews/list.html", context)


@agent_required
@require_safe
def dashboard(request):
    kinds = dashboard_widgets.chosen(request.user)
    board = selectors.dashboard(
        request.user, rows=_per_page(request.user), widgets=[k.key for k in kinds]
    )
    unseen = selectors.unseen_ids(request.user, board.tickets)
    shown = [(kind, getattr(board, kind.key)) for kind in kinds]
    return render(
        request,
        "tickets/overviews/dashboard.html",
        {"board": board, "widgets": shown, "unseen_ids": unseen, "now": timezone.now()},
    )


@agent_required
@require_safe
def queues(request):
    params = QueueParams(request.GET)
    tree = selectors.queue_tree(request.user)
    chosen = _chosen_node(tree, params.get("queue"))
    page = _queue_page(request.user, chosen, params)
    keep = [("queue", chosen.queue.pk if chosen else params.get("queue"))]
    roots = [node for node in tree if node.depth == 0]
    context = _listing(request, params, page, keep, columns.QUEUE, roots=roots, chosen=chosen)
    return render(request, "tickets/overviews/queues.html", context)


def _chosen_node(tree, queue_id):
    """The tree node of ``queue_id``; without one, the first queue with tickets. A queue not
    in the tree (unknown, or one the agent may not read) is no node: an empty list."""
    if queue_id is not None:
        return next((node for node in tree if node.queue.pk == queue_id), None)
    return next((node for node in tree if node.count), tree[0] if tree else None)


def _queue_page(user, node, params: QueueParams) -> Page:
    per_page = _per_page(user)
    if node is None:
        return paginate(lambda offset, limit: [], per_page=per_page, total=0)
    if params.get("sort") in selectors.QUEUE_SORTS:
        # The indexed paths: age (the default), state, priority and title.
        return selectors.queue_page(
            user,
            node.queue,
            sort=params.get("sort"),
            order=params.get("order"),
            page=params.get("page"),
            per_page=per_page,
            total=node.count,
        )
    return selectors.ticket_page(
        selectors.queue_tickets(user, node.queue),
        sort=params.get("sort"),
        order=params.get("order"),
        page=params.get("page"),
        per_page=per_page,
    )


STATUS_VIEWS = (
    ("open", _("Open"), "open"),
    ("closed", _("Closed"), "closed"),
    ("new", _("New in my queues"), "new"),
    ("reminders", _("Reminder reached"), "reminders"),
)


def _open_or_all(name: str):
    return (("open", _("Open"), name), ("all", _("All"), f"{name}_all"))


@agent_required
@require_safe
def status(request):
    return _overview(request, _("Status view"), STATUS_VIEWS)


@agent_required
@require_safe
def locked(request):
    return _overview(request, _("My locked tickets"), [("all", _("All"), "locked")])


@agent_required
@require_safe
def watched(request):
    return _overview(request, _("Watched tickets"), _open_or_all("watched"))


@agent_required
@require_safe
def mentioned(request):
    return _overview(request, _("Tickets I was mentioned in"), _open_or_all("mentioned"))


@agent_required
@require_safe
def responsible(request):
    return _overview(request, _("My responsibilities"), _open_or_all("responsible"))


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("queues/", queues, name="queues"),
    path("status/", status, name="status"),
    path("locked/", locked, name="locked"),
    path("watched/", watched, name="watched"),
    path("mentioned/", mentioned, name="mentioned"),
    path("responsible/", responsible, name="responsible"),
]
