"""Event deliveries in the Django admin: what failed, why, and a way to try again."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import delivery
from .models import DeliveryStatus, EventDelivery, OutboxEvent


@admin.register(EventDelivery)
class EventDeliveryAdmin(admin.ModelAdmin):
    """Read only: deliveries change through the worker and the retry action, never by hand."""

    list_display = [
        "pk",
        "handler",
        "batch_id",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "created_at",
    ]
    list_filter = ["status", "handler"]
    search_fields = ["handler", "last_error", "=batch__id"]
    readonly_fields = [
        "batch",
        "handler",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "finished_at",
        "events",
    ]
    fields = list(readonly_fields)
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: EventDelivery) -> str:
        lines = obj.last_error.strip().splitlines()
        return lines[-1][:120] if lines else ""

    @admin.display(description=_("events"))
    def events(self, obj: EventDelivery) -> str:
        rows = OutboxEvent.objects.filter(batch_id=obj.batch_id).order_by("position")
        return "\n".join(
            f"{e.position}. {e.name} {e.object_type} {e.object_id} {e.payload}" for e in rows
        )

    @admin.action(description=_("Retry the selected deliveries"))
    def retry(self, request, queryset) -> None:
        chosen = delivery.retry(
            queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]).values_list(
                "pk", flat=True
            )
        )
        count = len(chosen)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be tried again.",
                "%(count)d deliveries will be tried again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
