"""Metrics for Prometheus in its text format (version 0.0.4), read from the database at
each scrape: the outgoing mail queue, the event deliveries, the mail accounts (mail in), the
daemon's heartbeat, pending migrations. Being read, not counted in memory, they are the same
whichever web process answers and survive restarts."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from otrs.daemon import heartbeat
from otrs.events.models import DeliveryStatus, EventDelivery
from otrs.mail.models import MailAccount, OutboundMessage, OutboundStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]

    def sample(self, name: str, value: float, **labels: str) -> None:
        text = ",".join(f'{key}="{_label(val)}"' for key, val in sorted(labels.items()))
        self.lines.append(f"{name}{{{text}}} {value}" if text else f"{name} {value}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render() -> str:
    now = timezone.now()
    out = _Exposition()

    out.family("otrs_outgoing_mail_messages", "gauge", "Outgoing mail by status.")
    by_status = dict(
        OutboundMessage.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    for status in OutboundStatus.values:
        out.sample("otrs_outgoing_mail_messages", by_status.get(status, 0), status=status)
    oldest = OutboundMessage.objects.filter(
        status__in=(OutboundStatus.QUEUED, OutboundStatus.SENDING)
    ).aggregate(oldest=Min("created_at"))["oldest"]
    out.family(
        "otrs_outgoing_mail_oldest_waiting_seconds",
        "gauge",
        "Age of the oldest outgoing message not yet sent (0: none waits).",
    )
    out.sample(
        "otrs_outgoing_mail_oldest_waiting_seconds",
        round((now - oldest).total_seconds(), 3) if oldest else 0,
    )

    out.family("otrs_event_deliveries", "gauge", "Event deliveries to handlers by status.")
    deliveries = dict(
        EventDelivery.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    for status in DeliveryStatus.values:
        out.sample("otrs_event_deliveries", deliveries.get(status, 0), status=status)

    accounts = list(MailAccount.objects.filter(is_valid=True).order_by("name"))
    out.family("otrs_mail_fetched_total", "counter", "Messages fetched per mail account.")
    for account in accounts:
        out.sample("otrs_mail_fetched_total", account.fetched_total, account=account.name)
    out.family(
        "otrs_mail_account_last_fetch_timestamp_seconds",
        "gauge",
        "When each mail account was last fetched (Unix time; 0: never).",
    )
    for account in accounts:
        last = account.last_fetch_at.timestamp() if account.last_fetch_at else 0
        out.sample("otrs_mail_account_last_fetch_timestamp_seconds", last, account=account.name)
    out.family("otrs_mail_account_failures", "gauge", "Failed fetches in a row per mail account.")
    for account in accounts:
        out.sample("otrs_mail_account_failures", account.consecutive_failures, account=account.name)

    out.family(
        "otrs_daemon_heartbeat_timestamp_seconds",
        "gauge",
        "When a worker last ran the heartbeat beat sends every minute (Unix time; 0: never).",
    )
    last_beat = heartbeat.last()
    out.sample("otrs_daemon_heartbeat_timestamp_seconds", last_beat.timestamp() if last_beat else 0)
    return out.text()
