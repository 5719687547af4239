"""Maintenance windows in the admin: a plain master-data form, validated by the model."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import MaintenanceWindow


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "message", "state", "created_by")
    fields = ("starts_at", "ends_at", "notify_minutes", "message", "comment")
    date_hierarchy = "starts_at"

    @admin.display(description=_("state"))
    def state(self, window: MaintenanceWindow) -> str:
        if window.is_active():
            return str(_("running"))
        if window.is_announced():
            return str(_("announced"))
        return str(_("ended")) if window.ends_at <= timezone.now() else str(_("planned"))

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
