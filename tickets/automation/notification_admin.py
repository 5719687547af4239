"""The notification admin (spec section 11): notifications as records, their texts per
language, copy and invalidate, a preview ("for ticket N and event E, who would get what")
and the trace of every decision the sender made.

The preview runs :func:`tickets.notifications.plan`, the very decision the sender takes,
and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User, UserKind
from otrs.conditions.forms import ConditionField

from .. import notifications
from ..choices import Channel, SenderType
from ..forms.common import ticket_number_text
from ..models import (
    NotificationRecipient,
    NotificationSkip,
    NotificationTrace,
    Ticket,
    TicketNotification,
    TicketNotificationText,
)
from .attributes import ticket_schema

_TAGS_HELP = _(
    "Tags: <OTRS_TICKET_Title>, <OTRS_TICKET_TicketNumber>, <OTRS_TICKET_Queue>, "
    "<OTRS_TICKET_State>, <OTRS_TICKET_Priority>, <OTRS_TICKET_DynamicField_Name>, "
    "<OTRS_OWNER_UserFullname>, <OTRS_RESPONSIBLE_UserFullname>, <OTRS_CURRENT_UserFullname> "
    "(who made the change), <OTRS_NOTIFICATION_RECIPIENT_UserFirstname>, "
    "<OTRS_NOTIFICATION_Article> (the article's sender, subject and first lines), "
    "<OTRS_TICKET_Link>, <OTRS_NOTIFICATION_PreferencesLink>. The subject gets the ticket "
    "number in front."
)


class TicketNotificationForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=notifications.event_choices,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    ticket_filter = ConditionField(label=_("Ticket filter"), schema=ticket_schema)
    article_sender_types = forms.MultipleChoiceField(
        label=_("Article sender"),
        choices=SenderType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any article, or none."),
    )
    article_channels = forms.MultipleChoiceField(
        label=_("Article channel"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    recipients = forms.MultipleChoiceField(
        label=_("Recipients"),
        choices=NotificationRecipient.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = TicketNotification
        fields = [
            "name",
            "key",
            "comment",
            "valid",
            "events",
            "ticket_filter",
            "article_sender_types",
            "article_channels",
            "recipients",
            "recipient_agents",
            "recipient_groups",
            "recipient_roles",
            "recipient_addresses",
            "transport",
            "once_per_day",
            "agent_may_choose",
            "enabled_by_default",
        ]
        help_texts = {
            "key": _("Names the notification in the agents' preferences and in the trace."),
            "recipient_addresses": _("One mail address per line; they get it whatever access."),
            "once_per_day": _("A recipient gets it at most once a day per ticket."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username")
        self.fields["recipient_agents"].queryset = agents  # type: ignore[attr-defined]

    def clean_recipient_addresses(self) -> str:
        lines = [
            line.strip()
            for line in self.cleaned_data.get("recipient_addresses", "").splitlines()
            if line.strip()
        ]
        for number, line in enumerate(lines, 1):
            try:
                validate_email(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    gettext("Line %(number)s: “%(address)s” is no mail address.")
                    % {"number": number, "address": line}
                ) from None
        return "\n".join(lines)

    def clean(self):
        data = super().clean()
        named = (
            data.get("recipients")
            or data.get("recipient_agents")
            or data.get("recipient_groups")
            or data.get("recipient_roles")
            or data.get("recipient_addresses")
        )
        if not named:
            raise forms.ValidationError(gettext("Choose at least one recipient."))
        return data


class TextInline(admin.StackedInline):
    model = TicketNotificationText
    extra = 0
    min_num = 1
    fields = ("language", "subject", "body")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["validate_min"] = True  # a notification without any text is refused
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["body"].help_text = _TAGS_HELP
        formset.form.base_fields["body"].widget.attrs.update({"rows": 16, "cols": 90})
        return formset

    def get_max_num(self, request, obj=None, **kwargs) -> int:
        return len(settings.LANGUAGES)


class PreviewForm(forms.Form):
    """What the preview asks: a ticket, an event, and who made the change."""

    ticket = forms.CharField(label=_("Ticket#"), max_length=60)
    event = forms.ChoiceField(label=_("Event"), choices=notifications.event_choices)
    actor = forms.ModelChoiceField(
        User.objects.filter(kind=UserKind.AGENT, is_active=True).order_by("username"),
        label=_("Changed by"),
        required=False,
        help_text=_("Empty: the system. The one who made a change is never told of it."),
    )

    def clean_ticket(self) -> Ticket:
        number = ticket_number_text(self.cleaned_data["ticket"])
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is None:
            raise forms.ValidationError(
                gettext("There is no ticket “%(number)s”.") % {"number": number}
            )
        return ticket


@admin.register(TicketNotification)
class TicketNotificationAdmin(admin.ModelAdmin):
    form = TicketNotificationForm
    inlines = [TextInline]
    list_display = ("name", "key", "valid", "event_list", "recipient_list", "once_per_day")
    list_filter = ("valid", "agent_may_choose")
    search_fields = ("name", "key", "comment")
    actions = ["copy_selected", "invalidate_selected", "validate_selected"]
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
            {"fields": ("transport", "once_per_day", "agent_may_choose", "enabled_by_default")},
        ),
    )
    filter_horizontal = ("recipient_agents", "recipient_groups", "recipient_roles")

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

    def get_urls(self):
        own = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="tickets_ticketnotification_preview",
            )
        ]
        return own + super().get_urls()

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
