"""Template helpers of the agent interface. CSS classes are decided here, not in models."""

from django import template

from tickets import columns
from tickets.choices import StateType

register = template.Library()

_STATE_CLASSES: dict[str, str] = {
    StateType.NEW: "state-new",
    StateType.OPEN: "state-open",
    StateType.PENDING_REMINDER: "state-pending",
    StateType.PENDING_AUTO: "state-pending",
    StateType.CLOSED: "state-closed",
    StateType.MERGED: "state-merged",
    StateType.REMOVED: "state-removed",
}


@register.filter
def state_class(state) -> str:
    """CSS class of a state badge (accepts a State or a ticket's state)."""
    return _STATE_CLASSES.get(getattr(state, "state_type", ""), "state-open")


@register.filter
def priority_class(priority) -> str:
    return f"prio-{getattr(priority, 'level', 3)}"


@register.simple_tag(takes_context=True)
def list_columns(context, tickets):
    """The signed-in agent's columns of the ticket lists (:mod:`tickets.columns`), with the
    rows annotated: for a page that lists tickets without choosing columns itself (the
    Customer Information Center). Without a choice: the default columns, no custom fields
    (so such a page reads no field definitions unless the agent asked for fields)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = list(tickets)
    return columns.annotate(rows, columns.chosen(user, columns.LISTS, among=[]))
