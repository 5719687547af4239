"""The admin site: Django's admin, opened to staff agents only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class AdminSite(admin.AdminSite):
    """Admits active staff *agents*; a customer or the system user never gets in, whatever
    flags their account carries."""

    site_header = _("OTRS-Django administration")
    site_title = _("OTRS-Django administration")

    def has_permission(self, request) -> bool:
        user = request.user
        return super().has_permission(request) and getattr(user, "is_agent", False)
