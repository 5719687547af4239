"""Webhooks: endpoints that hear of chosen events, and the log of every delivery."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An endpoint that receives chosen events as signed JSON POSTs."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where the events are sent (http or https).")
    )
    active = models.BooleanField(_("active"), default=True)
    # Event names (OTRS's: "TicketCreate"); only those an app registered can be chosen.
    events = models.JSONField(_("events"), default=list, blank=True)
    # {"ticket.queue": ["3", "5"]}: per registered filter, the values a hook wants (as text).
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # The HMAC key of the signature; the receiver keeps a copy.
    secret = models.CharField(_("secret"), max_length=100, default=new_secret)
    retry_hours = models.PositiveIntegerField(
        _("retry for (hours)"),
        default=24,
        validators=[MinValueValidator(0), MaxValueValidator(168)],
        help_text=_("A failed delivery is retried with growing pauses for this long."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Deliveries that failed for good one after the other (a success resets it).
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("disabled"), null=True, blank=True)
    disabled_reason = models.TextField(_("why disabled"), blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_name: str) -> bool:
        return self.active and event_name in (self.events or [])


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event sent to one webhook: the exact body, its state and when it is tried next."""

    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    hook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook")
    )
    # The outbox event it announces (otrs.events): a redelivered batch finds the row.
    event_id = models.BigIntegerField(_("event id"))
    event = models.CharField(_("event"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    # The JSON sent, fixed when the delivery is made: every attempt sends the same bytes.
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=WebhookDeliveryStatus.choices,
        default=WebhookDeliveryStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Pending: when it is due. Running: when the sender's claim runs out.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # After this a failure is final.
    retry_until = models.DateTimeField(_("retried until"))
    last_status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["hook", "event_id"], name="webhooks_delivery_once"),
        ]
        indexes = [
            # The sweep: due deliveries (pending, or running with a claim run out).
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.hook_id} ({self.uuid})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    error = models.TextField(_("error"), blank=True)
    # The first characters of the response body.
    response_excerpt = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error[:40]}"
