"""Django admin for the ticket master data (the first form of the admin portal).

Tickets themselves are read-only here: changes go through the actions, which write history.
"""

from django import forms
from django.contrib import admin
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from . import admin_mail  # noqa: F401 - the e-mail channel's admin pages
from .automation import (
    acl_admin,  # noqa: F401 - ACLs and their debugger
    notification_admin,  # noqa: F401 - notifications, preview, trace
)
from .automation import admin as automation_admin  # noqa: F401 - GenericAgent's pages
from .models import (
    SLA,
    AutoResponse,
    Priority,
    Queue,
    QueueAutoResponse,
    Salutation,
    Service,
    Signature,
    StandardTemplate,
    State,
    SystemAddress,
    TextModule,
    Ticket,
    TicketHistory,
    TicketType,
)
from .processes import admin as process_admin  # noqa: F401 - process management

_TAGS_HELP = _(
    "Tags such as <OTRS_TICKET_Number>, <OTRS_CUSTOMER_REALNAME>, <OTRS_CUSTOMER_EMAIL[5]> "
    "or <OTRS_AGENT_UserFirstname> are replaced when the mail is written; unknown tags "
    "become “-”."
)


class QueueAutoResponseForm(forms.ModelForm):
    class Meta:
        model = QueueAutoResponse
        fields = ["auto_response"]

    def clean(self):
        cleaned = super().clean()
        response = cleaned.get("auto_response")
        if response is not None:
            # The link's type is its response's (the model's save does the same). The form
            # leaves the field out, so the one-per-type rule is the formset's clean below.
            self.instance.response_type = response.response_type
        return cleaned


class QueueAutoResponseFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            response = form.cleaned_data.get("auto_response")
            if response is None:
                continue
            if response.response_type in seen:
                raise forms.ValidationError(
                    _("A queue can have only one auto response of each type (“%(type)s”).")
                    % {"type": response.get_response_type_display()}
                )
            seen.add(response.response_type)


class QueueAutoResponseInline(admin.TabularInline):
    model = QueueAutoResponse
    form = QueueAutoResponseForm
    formset = QueueAutoResponseFormSet
    fields = ["auto_response", "response_type"]
    readonly_fields = ["response_type"]
    extra = 0


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = [
        "full_name",
        "group",
        "system_address",
        "follow_up",
        "customer_selectable",
        "is_valid",
    ]
    list_filter = ["is_valid", "group", "follow_up", "customer_selectable"]
    search_fields = ["full_name", "comment"]
    list_select_related = ["group", "system_address"]
    inlines = [QueueAutoResponseInline]

    def get_inlines(self, request, obj):
        # Auto responses are linked to a queue that exists (as in OTRS, a screen of its own
        # there); the add page stays the plain queue form.
        return self.inlines if obj is not None else []

    fieldsets = [
        (None, {"fields": ["name", "parent", "group", "comment", "is_valid"]}),
        (_("Mail"), {"fields": ["system_address", "salutation", "signature"]}),
        (_("Follow-ups"), {"fields": ["follow_up", "follow_up_lock", "unlock_timeout"]}),
        (_("Customer portal"), {"fields": ["customer_selectable"]}),
        (
            _("Escalation"),
            {
                "fields": [
                    "calendar",
                    ("first_response_time", "first_response_notify"),
                    ("update_time", "update_notify"),
                    ("solution_time", "solution_notify"),
                ]
            },
        ),
    ]


@admin.register(SystemAddress)
class SystemAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "display_name", "queue", "is_valid"]
    list_filter = ["is_valid"]
    search_fields = ["email", "display_name"]
    list_select_related = ["queue"]


class _TextAdmin(admin.ModelAdmin):
    list_display = ["name", "comment", "is_valid"]
    list_filter = ["is_valid"]
    search_fields = ["name", "text"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("text", "subject") and field is not None:
            # The admin shows help texts as HTML: the tags must be escaped to be seen.
            field.help_text = escape(_TAGS_HELP)
        return field


@admin.register(Salutation)
class SalutationAdmin(_TextAdmin):
    pass


@admin.register(Signature)
class SignatureAdmin(_TextAdmin):
    pass


@admin.register(StandardTemplate)
class StandardTemplateAdmin(_TextAdmin):
    list_display = ["name", "template_type", "comment", "is_valid"]
    list_filter = ["template_type", "is_valid"]
    filter_horizontal = ["queues"]
    fields = ["name", "template_type", "text", "queues", "comment", "is_valid"]


@admin.register(TextModule)
class TextModuleAdmin(admin.ModelAdmin):
    """Text modules are inserted as written (no tags): agents see the text they pick."""

    list_display = ["name", "keyword", "comment", "is_valid"]
    list_filter = ["is_valid", "queues"]
    search_fields = ["name", "keyword", "text"]
    filter_horizontal = ["queues"]
    fields = ["name", "keyword", "text", "queues", "comment", "is_valid"]


@admin.register(AutoResponse)
class AutoResponseAdmin(_TextAdmin):
    list_display = ["name", "response_type", "system_address", "is_valid"]
    list_filter = ["response_type", "is_valid"]
    list_select_related = ["system_address"]
    fields = ["name", "response_type", "subject", "text", "system_address", "comment", "is_valid"]

    def get_readonly_fields(self, request, obj=None):
        # Queues link a response by its type (one per type): a linked response keeps it.
        if obj is not None and obj.links.exists():
            return ["response_type"]
        return []


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["full_name", "customer_selectable", "is_valid"]
    list_filter = ["is_valid", "customer_selectable"]
    search_fields = ["full_name"]
    fields = ["name", "parent", "comment", "customer_selectable", "is_valid"]


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "state_type", "is_valid"]
    list_filter = ["state_type", "is_valid"]


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "is_valid"]


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "customer_selectable", "is_valid"]


@admin.register(SLA)
class SLAAdmin(admin.ModelAdmin):
    list_display = ["name", "first_response_time", "update_time", "solution_time", "is_valid"]
    filter_horizontal = ["services"]


class HistoryInline(admin.TabularInline):
    model = TicketHistory
    readonly_fields = ["created_at", "history_type", "old_value", "new_value", "actor"]
    fields = list(readonly_fields)
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: every change to a ticket must go through tickets.actions."""

    list_display = ["number", "title", "queue", "state", "priority", "owner", "created_at"]
    list_filter = ["state", "queue", "priority"]
    search_fields = ["number", "title", "customer_user", "customer_id"]
    list_select_related = ["queue", "state", "priority", "owner"]
    show_full_result_count = False
    inlines = [HistoryInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
