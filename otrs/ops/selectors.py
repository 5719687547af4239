"""Reads for the admin's health page and the support bundle: the daemon's heartbeats and the
backlogs of the queues the daemon works off (outgoing mail, event deliveries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.daemon import heartbeat
from otrs.daemon.models import Heartbeat
from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.mail.models import OutboundMessage, OutboundStatus


@dataclass(frozen=True)
class Backlog:
    key: str
    label: str
    # (status value, its label, count), every status, in the choices' order.
    counts: list[tuple[str, str, int]]
    waiting: int  # not yet done (queued, being worked on)
    oldest_waiting_at: datetime | None


def backlogs() -> list[Backlog]:
    waiting_mail = (OutboundStatus.QUEUED, OutboundStatus.SENDING)
    mail = dict(OutboundMessage.objects.values_list("status").annotate(n=Count("pk")).order_by())
    oldest_mail = OutboundMessage.objects.filter(status__in=waiting_mail).aggregate(
        at=Min("created_at")
    )["at"]
    waiting_events = (DeliveryStatus.PENDING, DeliveryStatus.RUNNING)
    events = dict(EventDelivery.objects.values_list("status").annotate(n=Count("pk")).order_by())
    oldest_event = EventDelivery.objects.filter(status__in=waiting_events).aggregate(
        at=Min("created_at")
    )["at"]
    return [
        Backlog(
            "outgoing_mail",
            _("Outgoing mail"),
            [(value, str(label), mail.get(value, 0)) for value, label in OutboundStatus.choices],
            sum(mail.get(value, 0) for value in waiting_mail),
            oldest_mail,
        ),
        Backlog(
            "event_deliveries",
            _("Event deliveries (notifications, indexing, webhooks)"),
            [(value, str(label), events.get(value, 0)) for value, label in DeliveryStatus.choices],
            sum(events.get(value, 0) for value in waiting_events),
            oldest_event,
        ),
    ]


def backlogs_as_dict() -> dict:
    return {
        backlog.key: {
            "by_status": {value: count for value, _label, count in backlog.counts},
            "waiting": backlog.waiting,
            "oldest_waiting_at": backlog.oldest_waiting_at.isoformat()
            if backlog.oldest_waiting_at
            else None,
        }
        for backlog in backlogs()
    }


@dataclass(frozen=True)
class Beat:
    name: str
    at: datetime
    hostname: str
    seconds_ago: int


def heartbeats() -> tuple[list[Beat], datetime | None]:
    """Every recorded heartbeat (the workers'), and when beat last sent one."""
    now = timezone.now()
    rows = [
        Beat(row.name, row.at, row.hostname, int((now - row.at).total_seconds()))
        for row in Heartbeat.objects.order_by("name")
    ]
    return rows, heartbeat.beat_last_sent()
