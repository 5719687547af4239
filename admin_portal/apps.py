from django.apps import AppConfig
from django.contrib.admin import apps as django_admin_apps
from django.utils.translation import gettext_lazy as _


class AdminPortalConfig(AppConfig):
    """The admin dashboard. Its first form is Django's admin under /admin/."""

    default = True
    name = "admin_portal"
    verbose_name = _("Administration")


class AdminConfig(django_admin_apps.AdminConfig):
    """Replaces ``django.contrib.admin`` in INSTALLED_APPS to install our admin site."""

    default = False
    default_site = "admin_portal.sites.AdminSite"
