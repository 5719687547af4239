"""Template helpers of the SLA timeline (tickets/zoom/_sla.html)."""

from django import template

from tickets.escalation import Status, format_duration

register = template.Library()

_STATUS_CLASSES = {
    Status.MET: "sla-met",
    Status.RUNNING: "sla-running",
    Status.WARNING: "sla-warning",
    Status.BREACHED: "sla-breached",
    Status.PAUSED: "sla-paused",
    Status.STOPPED: "sla-stopped",
    Status.OFF: "sla-stopped",
}


@register.filter
def working_time(seconds) -> str:
    """Working seconds as "2h 05m" ("-" prefix: overdue by that much)."""
    return format_duration(seconds)


@register.filter
def working_time_abs(seconds) -> str:
    """The same without the sign (the label says "overdue by")."""
    return "" if seconds is None else format_duration(abs(seconds))


@register.filter
def sla_class(status) -> str:
    return _STATUS_CLASSES.get(status, "sla-running")
