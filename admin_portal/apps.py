from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdminPortalConfig(AppConfig):
    """The admin dashboard. Its first form is Django's admin under /admin/."""

    name = "admin_portal"
    verbose_name = _("Administration")
