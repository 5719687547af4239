"""Admin page of the outgoing mail queue. Imported by :mod:`otrs.mail.admin`; the ticket
channel adds the ticket of each message (:mod:`tickets.admin_mail`)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import sending
from .models import OutboundMessage
from .tasks import send_outbound_message

# How much of a message's source the detail page shows.
RAW_PREVIEW_BYTES = 64 * 1024


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    """The outgoing queue, read-only: what waits, what went out, what failed and why. The
    one change is "retry now" for failed or waiting messages."""

    class Media:
        css = {"all": ["otrs/admin.css"]}  # the message source wraps (no inline styles)

    list_display = (
        "id",
        "created_at",
        "status",
        "kind",
        "subject",
        "recipient_list",
        "attempts",
        "next_attempt_at",
        "short_error",
        "sent_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("subject", "message_id", "envelope_from")
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    fields = (
        "status",
        "kind",
        "envelope_from",
        "recipient_list",
        "subject",
        "message_id",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "source",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # The message source is read only on the detail page, for the one message shown.
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("mail.change_outboundmessage")

    @admin.display(description=_("recipients"))
    def recipient_list(self, obj):
        return ", ".join(obj.recipients)

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("message source"))
    def source(self, obj):
        raw = obj.content()
        text = raw[:RAW_PREVIEW_BYTES].decode("utf-8", "replace")
        if len(raw) > RAW_PREVIEW_BYTES:
            text += "\n[…]"
        return format_html('<pre class="otrs-source">{}</pre>', text)

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        """Failed and waiting messages become due now, with a fresh count of attempts; the
        worker is asked to send them at once. Sent ones are never sent again."""
        done = sending.requeue(queryset.values_list("pk", flat=True))
        if done:
            for pk in done:
                transaction.on_commit(lambda pk=pk: send_outbound_message.delay(pk), robust=True)
            self.message_user(
                request,
                ngettext(
                    "%(count)d message queued to be sent again.",
                    "%(count)d messages queued to be sent again.",
                    len(done),
                )
                % {"count": len(done)},
                messages.SUCCESS,
            )
        skipped = queryset.count() - len(done)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was left alone: it is sent or being sent.",
                    "%(count)d messages were left alone: they are sent or being sent.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
