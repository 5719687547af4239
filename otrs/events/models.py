"""The outbox (batches of events) and the deliveries of each batch to each handler."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventBatch(models.Model):
    """The events of one committed change (one outermost transaction), delivered together."""

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # When the deliveries were made (one per subscribed handler); empty until then, which is
    # what the sweep looks for after a worker died between the commit and the delivery.
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    # Handlers that must not hear of this batch (bulk loads: see otrs.events.outbox.muting).
    muted = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("event batch")
        verbose_name_plural = _("event batches")
        indexes = [
            # The sweep: batches never dispatched, oldest first.
            models.Index(fields=["dispatched_at", "created_at"], name="events_batch_undispatched"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class OutboxEvent(models.Model):
    """One recorded event, written in the transaction of the change it announces."""

    batch = models.ForeignKey(EventBatch, on_delete=models.CASCADE, related_name="events")
    position = models.PositiveIntegerField()
    name = models.CharField(_("event"), max_length=100)
    object_type = models.CharField(_("object type"), max_length=50)
    object_id = models.BigIntegerField(_("object id"), null=True, blank=True)
    # A plain id, not a foreign key: events outlive users, and this package knows no app.
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["batch_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="events_event_position"),
        ]
        indexes = [
            # An object's events (a ticket's, a customer user's), for support and replays.
            models.Index(fields=["object_type", "object_id"], name="events_event_object"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.object_type} {self.object_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class EventDelivery(models.Model):
    """One batch handed to one handler: tried until it succeeds or runs out of attempts."""

    batch = models.ForeignKey(EventBatch, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(_("handler"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Pending: when it is due. Running: when the worker's claim runs out.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "handler"], name="events_delivery_once"),
        ]
        indexes = [
            # The sweep: due deliveries (pending, or running with a claim run out).
            models.Index(fields=["status", "next_attempt_at"], name="events_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} #{self.batch_id}"

    @property
    def key(self) -> str:
        """The delivery key handlers use to be idempotent: the same on every attempt."""
        return delivery_key(self.batch_id, self.handler)


def delivery_key(batch_id: int, handler: str) -> str:
    return f"{handler}:{batch_id}"
