"""Admin pages of the ticket e-mail channel: the inbound store with its quarantine (reprocess,
download the raw message), the postmaster filters, where a mail account's mail goes (an inline
on the transport's mail account page) and the ticket of each outgoing message (a column on the
transport's queue page). Imported by :mod:`tickets.admin`."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from otrs.mail import spool
from otrs.mail.admin import MailAccountAdmin
from otrs.mail.admin_outbound import OutboundMessageAdmin
from otrs.mail.models import MailAccount, OutboundMessage

from .models import (
    Dispatch,
    FilterMatch,
    FilterSet,
    InboundMessage,
    InboundStatus,
    MailAccountDispatch,
    PostmasterFilter,
)
from .postmaster import intake
from .postmaster.directives import KNOWN, PREFIX
from .postmaster.filters import compile_pattern


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "status",
        "outcome",
        "from_address",
        "subject",
        "size",
        "source",
        "attempts",
        "ticket_link",
    )
    list_filter = ("status", "outcome", "source", "account")
    search_fields = ("subject", "from_address", "message_id")
    date_hierarchy = "received_at"
    list_select_related = ("ticket", "account")
    actions = ["reprocess_selected"]
    fields = (
        "status",
        "outcome",
        "quarantine_reason",
        "attempts",
        "received_at",
        "processed_at",
        "source",
        "envelope_recipient_list",
        "account",
        "trusted",
        "forced_queue",
        "message_id",
        "from_address",
        "subject",
        "size",
        "sha256",
        "ticket_link",
        "raw_link",
    )
    readonly_fields = fields
    change_form_template = "admin/tickets/inboundmessage/change_form.html"

    @admin.display(description=_("reason"))
    def quarantine_reason(self, obj):
        return obj.error_text

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing here is edited; the page shows the message and offers reprocessing.
        return False

    def changelist_view(self, request, extra_context=None):
        # Mail the spool could not hand over (otrs-postmaster, LMTP while the database was
        # away) is not in this list yet: say so, where the administrator looks for mail.
        try:
            failed = sum(1 for _message in spool.failed_messages())
        except OSError:
            failed = 0
        if failed and request.method == "GET":
            self.message_user(
                request,
                ngettext(
                    "%(count)d message from the mail server could not be stored and waits in "
                    "%(path)s (manage.py mailspool --failed lists it, --requeue-failed tries "
                    "again).",
                    "%(count)d messages from the mail server could not be stored and wait in "
                    "%(path)s (manage.py mailspool --failed lists them, --requeue-failed tries "
                    "again).",
                    failed,
                )
                % {"count": failed, "path": spool.spool_dir() / "failed"},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("envelope recipients"))
    def envelope_recipient_list(self, obj):
        return ", ".join(obj.envelope_recipients) or "-"

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj):
        if obj.ticket_id is None:
            return "-"
        url = reverse("agent:zoom", args=[obj.ticket_id])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.number)

    @admin.display(description=_("raw message"))
    def raw_link(self, obj):
        url = reverse("admin:tickets_inboundmessage_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))

    def get_urls(self):
        own = [
            path(
                "<int:pk>/reprocess/",
                self.admin_site.admin_view(require_POST(self.reprocess_view)),
                name="tickets_inboundmessage_reprocess",
            ),
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="tickets_inboundmessage_raw",
            ),
        ]
        return own + super().get_urls()

    def reprocess_view(self, request, pk):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        message = get_object_or_404(InboundMessage, pk=pk)
        self._report(request, [intake.reprocess(message)])
        return HttpResponseRedirect(reverse("admin:tickets_inboundmessage_change", args=[pk]))

    def raw_view(self, request, pk):
        message = get_object_or_404(InboundMessage, pk=pk)
        response = HttpResponse(bytes(message.raw), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inbound-{message.pk}.eml"'
        return response

    @admin.action(description=_("Process the selected messages again"))
    def reprocess_selected(self, request, queryset):
        pending = queryset.exclude(status__in=(InboundStatus.PROCESSED, InboundStatus.IGNORED))
        self._report(request, [intake.reprocess(m) for m in pending.order_by("received_at")])

    def _report(self, request, results):
        failed = [m for m in results if m.status == InboundStatus.QUARANTINED]
        done = len(results) - len(failed)
        if done:
            self.message_user(
                request,
                ngettext("%(count)d message processed.", "%(count)d messages processed.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        for message in failed:
            self.message_user(
                request,
                _("Message #%(id)s is still quarantined: %(error)s")
                % {"id": message.pk, "error": _last_line(message.error_text)},
                messages.ERROR,
            )
        if not results:
            self.message_user(request, _("Nothing to process."), messages.INFO)


class FilterMatchForm(forms.ModelForm):
    class Meta:
        model = FilterMatch
        fields = ("header", "pattern", "negate")

    def clean_pattern(self):
        pattern = self.cleaned_data["pattern"]
        try:
            compile_pattern(pattern)
        except re.error as exc:
            raise forms.ValidationError(
                _("Not a valid regular expression: %(error)s"), params={"error": exc}
            ) from exc
        return pattern


class FilterSetForm(forms.ModelForm):
    class Meta:
        model = FilterSet
        fields = ("header", "value")

    def clean_header(self):
        header = self.cleaned_data["header"].strip()
        key = header.lower()
        key = key[len(PREFIX) :] if key.startswith(PREFIX) else ""
        if key not in KNOWN:
            raise forms.ValidationError(
                _("%(header)s is not a header the postmaster understands; use one of %(known)s."),
                params={
                    "header": header,
                    "known": ", ".join(f"X-OTRS-{k.title()}" for k in sorted(KNOWN)),
                },
            )
        return header


class FilterMatchInline(admin.TabularInline):
    model = FilterMatch
    form = FilterMatchForm
    extra = 2
    min_num = 1


class FilterSetInline(admin.TabularInline):
    model = FilterSet
    form = FilterSetForm
    extra = 2
    min_num = 1


@admin.register(PostmasterFilter)
class PostmasterFilterAdmin(admin.ModelAdmin):
    list_display = ("name", "stop", "is_valid", "comment")
    list_filter = ("is_valid", "stop")
    search_fields = ("name", "comment", "matches__pattern")
    inlines = (FilterMatchInline, FilterSetInline)


# --- mail accounts: where their mail goes ------------------------------------------------------


class MailAccountDispatchForm(forms.ModelForm):
    class Meta:
        model = MailAccountDispatch
        fields = ("dispatch", "queue")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("dispatch") == Dispatch.QUEUE and not cleaned.get("queue"):
            self.add_error(
                "queue", _("Choose the queue: this account dispatches into its own queue.")
            )
        return cleaned


class MailAccountDispatchInline(admin.StackedInline):
    model = MailAccountDispatch
    form = MailAccountDispatchForm
    can_delete = False
    min_num = 1
    max_num = 1
    verbose_name = _("dispatching")
    verbose_name_plural = _("dispatching")


class TicketMailAccountAdmin(MailAccountAdmin):
    """The transport's mail account page, with the ticket channel's dispatching."""

    inlines = (*MailAccountAdmin.inlines, MailAccountDispatchInline)
    list_display = (*MailAccountAdmin.list_display, "dispatch_to")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dispatching__queue")

    @admin.display(description=_("dispatching"))
    def dispatch_to(self, obj: MailAccount) -> str:
        dispatching = getattr(obj, "dispatching", None)
        if dispatching is None or dispatching.forced_queue is None:
            return str(Dispatch.RECIPIENT.label)
        return dispatching.forced_queue.full_name


# --- the outgoing queue: which ticket a message belongs to -------------------------------------


class TicketOutboundMessageAdmin(OutboundMessageAdmin):
    """The transport's queue page, with a link to the ticket of each message."""

    list_display = (*OutboundMessageAdmin.list_display, "ticket_link")
    search_fields = (*OutboundMessageAdmin.search_fields, "ticket_delivery__ticket__number")
    fields = (*OutboundMessageAdmin.fields, "ticket_link")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("ticket_delivery__ticket")

    @admin.display(description=_("ticket"), ordering="ticket_delivery__ticket__number")
    def ticket_link(self, obj: OutboundMessage):
        delivery = getattr(obj, "ticket_delivery", None)
        if delivery is None:
            return "-"
        url = reverse("agent:zoom", args=[delivery.ticket_id])
        return format_html('<a href="{}">{}</a>', url, delivery.ticket.number)


for _model, _admin in (
    (MailAccount, TicketMailAccountAdmin),
    (OutboundMessage, TicketOutboundMessageAdmin),
):
    admin.site.unregister(_model)
    admin.site.register(_model, _admin)


def _last_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1]
