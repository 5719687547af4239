"""The FAQ in the Django admin: categories with their permissions and approval, and the
settings (insert format, vote scale, review period). Items are written through the agent
screens (their actions keep revisions and history), so the admin shows them read-only."""

from django.contrib import admin

from .models import FaqCategory, FaqItem, FaqSettings


@admin.register(FaqCategory)
class FaqCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "approval_required", "customers_all", "is_valid")
    list_filter = ("is_valid", "approval_required", "customers_all")
    search_fields = ("name", "comment")
    filter_horizontal = (
        "agent_read_groups",
        "agent_edit_groups",
        "approver_groups",
        "customer_companies",
    )


@admin.register(FaqItem)
class FaqItemAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "category", "language", "state", "is_valid", "changed")
    list_filter = ("state", "language", "is_valid", "category")
    search_fields = ("number", "title", "keywords")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FaqSettings)
class FaqSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "insert_format", "vote_scale", "review_days", "prevented_tickets")
    readonly_fields = ("prevented_tickets",)

    def has_add_permission(self, request) -> bool:
        return not FaqSettings.objects.exists()
