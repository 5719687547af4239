"""The notification admin (spec section 11): notifications as records, their texts per
language, copy and invalidate, a preview ("for ticket N and event E, who would get what"),
a test mail to the admin's own address, YAML export and import, and the trace of every
decision the sender made.

The preview runs :func:`tickets.notifications.plan`, the very decision the sender takes,
and writes nothing; the test mail is rendered by the sender's own code and sent at once,
stored nowhere.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from otrs.mail.outbound import format_address, send_system_mail_now

from .. import notifications
from ..models import (
    NotificationRecipient,
    NotificationSkip,
    NotificationTrace,
    TicketNotification,
    TicketNotificationText,
)
from . import admin_yaml, notification_yaml
from .notification_forms import TAGS_HELP, PreviewForm, TestMailForm, TicketNotificationForm


class TextInline(admin.StackedInline):
    model = TicketNotificationText
    extra = 0
    min_num = 1
    fields = ("language", "subject", "body")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["validate_min"] = True  # a notification without any text is refused
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["body"].help_text = TAGS_HELP
        formset.form.base_fields["body"].widget.attrs.update({"rows": 16, "cols": 90})
        return formset

    def get_max_num(self, request, obj=None, **kwargs) -> int:
        return len(settings.LANGUAGES)


@admin.register(TicketNotification)
class TicketNotificationAdmin(admin.ModelAdmin):
    form = TicketNotificationForm
    inlines = [TextInline]
    list_display = ("shown_name", "key", "valid", "event_list", "recipient_list", "once_per_day")
    list_filter = ("valid", "agent_may_choose")
    search_fields = ("name", "key", "comment")
    actions = ["copy_selected", "invalidate_selected", "validate_selected", "export_yaml"]
    change_form_template = "admin/tickets/ticketnotification/change_form.html"
    change_list_template = "admin/tickets/ticketnotification/change_list.html"
    fieldsets = (
        (None, {"fields": ("name", "key", "comment", "valid")}),
        (
            _("When"),
            {"fields": ("events", "ticket_filter", "article_sender_types", "article_channels")},
        ),
        (
            _("Recipients"),
            {
                "fields": (
                    "recipients",
                    "recipient_agents",
                    "recipient_groups",
                    "recipient_roles",
                    "recipient_addresses",
                )
            },
        ),
        (
            _("How"),
            {"fields": ("transports", "once_per_day", "agent_may_choose", "enabled_by_default")},
        ),
    )
    filter_horizontal = ("recipient_agents", "recipient_groups", "recipient_roles")

    @admin.display(description=_("name"), ordering="name")
    def shown_name(self, notification: TicketNotification) -> str:
        # Built-in names in the admin's language; an admin's own names as they are.
        return notifications.label(notification)

    @admin.display(description=_("events"))
    def event_list(self, notification: TicketNotification) -> str:
        return ", ".join(notification.events)

    @admin.display(description=_("recipients"))
    def recipient_list(self, notification: TicketNotification) -> str:
        labels = dict(NotificationRecipient.choices)
        return ", ".join(str(labels.get(r, r)) for r in notification.recipients)

    def save_model(self, request, obj, form, change) -> None:
        obj.changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Copy"))
    def copy_selected(self, request, queryset):
        for notification in queryset:
            copy = copy_notification(notification)
            self.message_user(
                request,
                format_html(
                    '<a href="{}">{}</a>',
                    reverse("admin:tickets_ticketnotification_change", args=[copy.pk]),
                    gettext("Copied to “%(name)s” (inactive).") % {"name": copy.name},
                ),
            )

    @admin.action(description=_("Invalidate (switch off)"))
    def invalidate_selected(self, request, queryset):
        count = queryset.update(valid=False, changed_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(count)d notification switched off.",
                "%(count)d notifications switched off.",
                count,
            )
            % {"count": count},
        )

    @admin.action(description=_("Validate (switch on)"))
    def validate_selected(self, request, queryset):
        count = queryset.update(valid=True, changed_at=timezone.now())
        self.message_user(
            request,
            ngettext(
                "%(count)d notification switched on.",
                "%(count)d notifications switched on.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export as YAML"))
    def export_yaml(self, request, queryset):
        chosen = queryset.order_by("name").prefetch_related(
            "texts", "recipient_agents", "recipient_groups", "recipient_roles"
        )
        text = notification_yaml.export_notifications(chosen)
        return admin_yaml.yaml_download(text, "notifications.yaml")

    def get_urls(self):
        own = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="tickets_ticketnotification_preview",
            ),
            path(
                "<int:pk>/test-mail/",
                self.admin_site.admin_view(self.test_mail_view),
                name="tickets_ticketnotification_test_mail",
            ),
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="tickets_ticketnotification_import",
            ),
        ]
        return own + super().get_urls()

    def _notification(self, request, pk: int) -> TicketNotification:
        notification = TicketNotification.objects.filter(pk=pk).first()
        if notification is None or not self.has_view_permission(request, notification):
            raise Http404  # missing and forbidden look the same
        return notification

    def test_mail_view(self, request, pk: int):
        """The notification rendered for a chosen ticket and event, sent to the admin's own
        address at once; nothing is stored."""
        notification = self._notification(request, pk)
        languages = [t.language for t in notification.texts.all()]
        initial = _test_mail_initial(request, languages, notification)
        form = TestMailForm(request.POST or None, initial=initial)
        labels = dict(settings.LANGUAGES)
        form.fields["language"].choices = [  # type: ignore[attr-defined]
            (code, labels.get(code, code)) for code in languages
        ]
        address = request.user.email
        status = 200
        if request.method == "POST" and address and form.is_valid():
            data = form.cleaned_data
            texts = notifications.texts_for_test_mail(
                notification,
                data["ticket"],
                data["event"],
                data["actor"],
                language=data["language"],
                reader=request.user,
            )
            assert texts is not None  # the language is one of the notification's texts
            error = send_system_mail_now(
                to=format_address(address, request.user.get_full_name()),
                subject=texts[0],
                body=texts[1],
            )
            if not error:
                messages.success(
                    request,
                    gettext("The test mail “%(subject)s” went to %(address)s.")
                    % {"subject": texts[0], "address": address},
                )
                return redirect(request.path)
            form.add_error(
                None, gettext("The mail server refused the mail: %(error)s") % {"error": error}
            )
        if request.method == "POST" and form.errors:
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Send test mail: %(name)s")
            % {"name": notifications.label(notification)},
            "name": notifications.label(notification),
            "notification": notification,
            "form": form,
            "address": address,
        }
        return TemplateResponse(
            request, "admin/tickets/ticketnotification/test_mail.html", context, status=status
        )

    def import_view(self, request):
        """A YAML file of notifications; those whose name exists are replaced or kept, as
        the admin answers when asked. Nothing is written if any entry is refused."""
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        existing: list[str] = []
        text = ""
        if request.method == "POST":
            upload = request.FILES.get("file")
            try:
                text = upload.read().decode("utf-8") if upload else request.POST.get("text", "")
            except UnicodeDecodeError:
                problems = [gettext("The file is not UTF-8 text.")]
            else:
                try:
                    done = notification_yaml.import_notifications(
                        text, existing=request.POST.get("existing") or None
                    )
                except notification_yaml.NamesExist as names:
                    existing = [gettext(name) for name in names.names]  # built-ins translated
                except ValidationError as error:
                    problems = error.messages
                else:
                    messages.success(request, _imported(done))
                    return redirect(reverse("admin:tickets_ticketnotification_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import notifications"),
            "explanation": gettext(
                "A YAML file as the list's action “Export as YAML” writes it. Every "
                "notification is checked first; if one is refused, nothing is imported."
            ),
            "problems": problems,
            "existing": existing,
            "text": text,
        }
        return TemplateResponse(
            request,
            "admin/tickets/ticketnotification/import.html",
            context,
            status=400 if problems else 200,
        )

    def preview_view(self, request, pk: int):
        notification = TicketNotification.objects.filter(pk=pk).first()
        if notification is None:
            raise Http404
        if not self.has_view_permission(request, notification):
            raise PermissionDenied
        form = PreviewForm(request.GET if "ticket" in request.GET else None)
        rows = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            reasons = dict(NotificationSkip.choices)
            rows = [
                {"plan": planned, "reason": reasons.get(planned.skip, "")}
                for planned in notifications.preview(
                    notification, data["ticket"], data["event"], data["actor"]
                )
            ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Preview: %(name)s") % {"name": notifications.label(notification)},
            "name": notifications.label(notification),
            "notification": notification,
            "form": form,
            "rows": rows,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(
            request, "admin/tickets/ticketnotification/preview.html", context, status=status
        )


def copy_notification(notification: TicketNotification) -> TicketNotification:
    """A switched-off copy with its texts and recipients, under a free name and key."""
    with transaction.atomic():
        number = 1
        while True:
            suffix = "" if number == 1 else f" {number}"
            name = gettext("%(name)s (copy%(suffix)s)") % {
                "name": notification.name,
                "suffix": suffix,
            }
            key = f"{notification.key}-copy{number if number > 1 else ''}"[:100]
            taken = TicketNotification.objects.filter(name=name).exists()
            if not taken and not TicketNotification.objects.filter(key=key).exists():
                break
            number += 1
        copy = TicketNotification.objects.get(pk=notification.pk)
        copy.pk = None
        copy.name, copy.key, copy.valid, copy.changed_at = name[:200], key, False, timezone.now()
        copy.save()
        copy.recipient_agents.set(notification.recipient_agents.all())
        copy.recipient_groups.set(notification.recipient_groups.all())
        copy.recipient_roles.set(notification.recipient_roles.all())
        TicketNotificationText.objects.bulk_create(
            TicketNotificationText(
                notification=copy, language=t.language, subject=t.subject, body=t.body
            )
            for t in notification.texts.all()
        )
    return copy


@admin.register(NotificationTrace)
class NotificationTraceAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "notification_name",
        "ticket_link",
        "event_name",
        "recipient",
        "outcome",
        "reason",
    )
    list_filter = ("outcome", "reason", "notification")
    search_fields = ("ticket_number", "recipient", "notification_name")
    date_hierarchy = "created_at"

    @admin.display(description=_("ticket"), ordering="ticket_number")
    def ticket_link(self, trace: NotificationTrace) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("agent:zoom", args=[trace.ticket_id]),
            trace.ticket_number,
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _test_mail_initial(request, languages: list[str], notification: TicketNotification) -> dict:
    """The admin's language (if the notification has a text in it) and its first event."""
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    return {
        "language": language if language in languages else settings.LANGUAGE_CODE,
        "event": (notification.events or [""])[0],
    }


def _imported(done: notification_yaml.Imported) -> str:
    parts = [
        ngettext(
            "Imported %(count)d new notification.",
            "Imported %(count)d new notifications.",
            len(done.created),
        )
        % {"count": len(done.created)}
    ]
    if done.replaced:
        parts.append(
            ngettext("Replaced %(count)d.", "Replaced %(count)d.", len(done.replaced))
            % {"count": len(done.replaced)}
        )
    if done.skipped:
        parts.append(
            ngettext("Kept %(count)d as it was.", "Kept %(count)d as they were.", len(done.skipped))
            % {"count": len(done.skipped)}
        )
    return " ".join(parts)
