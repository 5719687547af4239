"""Webhooks in the admin: the endpoints (with events, filters, secret) and the delivery log
(every attempt's response code, duration and answer) with "send again"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import delivery
from .forms import WebhookForm
from .models import Webhook, WebhookAttempt, WebhookDelivery, new_secret
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = [
        "name",
        "url",
        "active",
        "event_list",
        "consecutive_failures",
        "disabled_at",
        "delivery_log",
    ]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "secret",
        "signature_help",
        "created_by",
        "created_at",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "delivery_log",
    ]
    actions = ["enable", "new_secret"]

    def get_fieldsets(self, request, obj=None):
        form = self.get_form(request, obj)(instance=obj)
        filters = [name for name in form.fields if name.startswith("filter__")]
        fieldsets = [
            (None, {"fields": ["name", "url", "active", "retry_hours"]}),
            (_("Events"), {"fields": ["events"]}),
        ]
        if filters:
            fieldsets.append((_("Filters"), {"fields": filters}))
        if obj is not None:
            fieldsets.append(
                (_("Signature"), {"fields": ["secret", "signature_help"]}),
            )
            fieldsets.append(
                (
                    _("State"),
                    {
                        "fields": [
                            "created_by",
                            "created_at",
                            "consecutive_failures",
                            "disabled_at",
                            "disabled_reason",
                            "delivery_log",
                        ]
                    },
                )
            )
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The filter fields are made by the form itself (from the registry), so the admin
        # must not restrict the form to the fields named in the fieldsets.
        kwargs["fields"] = ["name", "url", "active", "events", "retry_hours"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("events"))
    def event_list(self, obj: Webhook) -> str:
        names = obj.events or []
        return ", ".join(names[:3]) + (" …" if len(names) > 3 else "")

    @admin.display(description=_("delivery log"))
    def delivery_log(self, obj: Webhook) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:webhooks_webhookdelivery_changelist") + f"?hook__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Deliveries"))

    @admin.display(description=_("how to check it"))
    def signature_help(self, obj: Webhook) -> str:
        return format_html(
            "{}<br><code>{}</code>, <code>{}</code>, <code>{}</code>, <code>{}</code>",
            _(
                "Each request is signed: HMAC-SHA256 with this secret over the timestamp "
                "header, a dot and the body, sent as “sha256=<hex>”. Refuse requests whose "
                "timestamp is more than five minutes old. Headers:"
            ),
            DELIVERY_HEADER,
            EVENT_HEADER,
            TIMESTAMP_HEADER,
            SIGNATURE_HEADER,
        )

    @admin.action(description=_("Enable the selected webhooks again"))
    def enable(self, request, queryset) -> None:
        hooks = list(queryset)
        for hook in hooks:
            delivery.enable(hook)
        self.message_user(
            request,
            ngettext("%(n)d webhook enabled.", "%(n)d webhooks enabled.", len(hooks))
            % {"n": len(hooks)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Give the selected webhooks a new secret"))
    def new_secret(self, request, queryset) -> None:
        hooks = list(queryset)
        for hook in hooks:
            Webhook.objects.filter(pk=hook.pk).update(secret=new_secret())
        self.message_user(
            request,
            ngettext(
                "%(n)d webhook has a new secret: give it to the receiver.",
                "%(n)d webhooks have a new secret: give it to the receivers.",
                len(hooks),
            )
            % {"n": len(hooks)},
            messages.SUCCESS,
        )


ATTEMPT_FIELDS = (
    "number",
    "started_at",
    "duration_ms",
    "status_code",
    "succeeded",
    "error",
    "response_excerpt",
)
DELIVERY_FIELDS = (
    "uuid",
    "hook",
    "event",
    "event_id",
    "object_type",
    "object_id",
    "status",
    "attempts",
    "next_attempt_at",
    "retry_until",
    "last_status_code",
    "last_error",
    "created_at",
    "finished_at",
    "body",
)


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Read only: deliveries change through the sender and "send again", never by hand."""

    list_display = [
        "pk",
        "hook",
        "event",
        "object_type",
        "object_id",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "next_attempt_at",
    ]
    list_filter = ["status", "hook", "event"]
    list_select_related = ["hook"]
    search_fields = ["=uuid", "event", "last_error"]
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description=_("Send the selected deliveries again"))
    def redeliver(self, request, queryset) -> None:
        chosen = delivery.redeliver(queryset.values_list("pk", flat=True))
        count = len(chosen)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again.",
                "%(count)d deliveries will be sent again.",
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
