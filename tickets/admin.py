"""Django admin for the ticket master data (the first form of the admin portal).

Tickets themselves are read-only here: changes go through the actions, which write history.
"""

from django.contrib import admin

from .models import SLA, Priority, Queue, Service, State, Ticket, TicketHistory, TicketType


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["full_name", "group", "unlock_timeout", "follow_up", "is_valid"]
    list_filter = ["is_valid", "group", "follow_up"]
    search_fields = ["full_name", "comment"]
    list_select_related = ["group"]
    fieldsets = [
        (None, {"fields": ["name", "parent", "group", "comment", "is_valid"]}),
        ("Follow-ups", {"fields": ["follow_up", "follow_up_lock", "unlock_timeout"]}),
        (
            "Escalation",
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


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["full_name", "is_valid"]
    list_filter = ["is_valid"]
    search_fields = ["full_name"]
    fields = ["name", "parent", "comment", "is_valid"]


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "state_type", "is_valid"]
    list_filter = ["state_type", "is_valid"]


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "is_valid"]


@admin.register(TicketType)
class TicketTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "is_valid"]


@admin.register(SLA)
class SLAAdmin(admin.ModelAdmin):
    list_display = ["name", "first_response_time", "update_time", "solution_time", "is_valid"]
    filter_horizontal = ["services"]


class HistoryInline(admin.TabularInline):
    model = TicketHistory
    fields = ["created_at", "history_type", "old_value", "new_value", "actor"]
    readonly_fields = fields
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
