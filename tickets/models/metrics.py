"""What the reports read: one metrics row per ticket, and the time agents accounted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .article import Article
from .ticket import Ticket


class TicketMetrics(models.Model):
    """A ticket's figures, kept by the ``tickets.metrics`` event handler (tickets.metrics):
    reports read these rows instead of walking history and articles."""

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, primary_key=True, related_name="metrics"
    )
    # Copied from the ticket, so the reports group and filter one table (kept on every event
    # that changes them).
    created_at = models.DateTimeField()
    queue_id = models.BigIntegerField()
    service_id = models.BigIntegerField(null=True)
    sla_id = models.BigIntegerField(null=True)
    owner_id = models.BigIntegerField()
    state_type = models.CharField(max_length=20)
    first_response_at = models.DateTimeField(null=True)
    # Wall-clock seconds and working seconds of the ticket's calendar (pauses left out).
    first_response_seconds = models.BigIntegerField(null=True)
    first_response_business_seconds = models.BigIntegerField(null=True)
    # The first close (spec 6: ever closed; reopening does not restart the solution time).
    first_closed_at = models.DateTimeField(null=True)
    # The last close while the ticket is closed now (created vs closed per day).
    closed_at = models.DateTimeField(null=True)
    solution_seconds = models.BigIntegerField(null=True)
    solution_business_seconds = models.BigIntegerField(null=True)
    reopen_count = models.PositiveIntegerField(default=0)
    # {state id (as text): wall-clock seconds spent in it}, up to ``computed_at``.
    state_seconds = models.JSONField(default=dict)
    # Per target: "met", "breached", or "" (no target, or not decided yet).
    response_result = models.CharField(max_length=10, blank=True)
    update_result = models.CharField(max_length=10, blank=True)
    solution_result = models.CharField(max_length=10, blank=True)
    time_units = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    calendar_error = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket metrics")
        verbose_name_plural = _("ticket metrics")
        indexes = [
            # Reports over a period: tickets created (or closed) in it.
            models.Index(fields=["created_at"], name="metrics_created"),
            models.Index(fields=["closed_at"], name="metrics_closed"),
        ]

    def __str__(self) -> str:
        return f"metrics of {self.ticket_id}"


class TimeAccounting(models.Model):
    """Time an agent spent, entered with an article (OTRS time_accounting, TimeUnits)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_accounting")
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, null=True, blank=True, related_name="time_accounting"
    )
    time_units = models.DecimalField(_("time units"), max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("time accounting")
        verbose_name_plural = _("time accounting")
        # The zoom's sums per ticket and article.
        indexes = [models.Index(fields=["ticket", "article"], name="time_accounting_ticket")]

    def __str__(self) -> str:
        return f"{self.time_units} on {self.ticket_id}"


class ReportFrequency(models.TextChoices):
    DAILY = "daily", _("daily (the day before)")
    WEEKLY = "weekly", _("weekly (the seven days before, on Mondays)")
    MONTHLY = "monthly", _("monthly (the month before, on the 1st)")


class ReportFormat(models.TextChoices):
    """What a scheduled report's mail carries as attachments."""

    CSV = "csv", _("CSV")
    PDF = "pdf", _("PDF")
    BOTH = "both", _("CSV and PDF")


class ReportSchedule(models.Model):
    """A report mailed as CSV and/or PDF to agents on a schedule (tickets.actions.reports);
    each recipient gets the figures of the tickets they may see."""

    name = models.CharField(_("name"), max_length=200)
    # A tickets.reports.Kind value, and a tickets.reports.Dimension value.
    kind = models.CharField(_("report"), max_length=20)
    dimension = models.CharField(_("group by"), max_length=20, default="queue")
    queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queue"),
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=ReportFrequency.choices, default="weekly"
    )
    formats = models.CharField(
        _("format"), max_length=10, choices=ReportFormat.choices, default=ReportFormat.CSV
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("recipients")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The next time it is due; a run claims it by moving this on (a conditional update).
    next_run_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        # The daemon's question: which schedules are due.
        indexes = [models.Index(fields=["next_run_at"], name="report_schedule_due")]

    def __str__(self) -> str:
        return self.name
