"""The admin site: Django's admin, opened to staff agents only, with the dashboard's own
screens (overview, permission matrices, scheduled jobs) in front of its model pages."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from otrs.accounts import throttle

from . import views


class AdminSignInForm(throttle.ThrottledSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in, throttled in a scope of its own."""

    throttle_scope = throttle.ThrottleScope.ADMIN_SIGN_IN


class AdminSite(admin.AdminSite):
    """Admits active staff *agents*; a customer or the system user never gets in, whatever
    flags their account carries."""

    site_header = _("OTRS-Django administration")
    site_title = _("OTRS-Django administration")
    index_title = _("Administration")
    login_form = AdminSignInForm

    def has_permission(self, request) -> bool:
        user = request.user
        return super().has_permission(request) and getattr(user, "is_agent", False)

    def index(self, request, extra_context=None):
        """The dashboard (:mod:`otrs.web.admin_modules`) instead of Django's list of models."""
        return views.dashboard(request)

    def get_urls(self):
        get_post = require_http_methods(["GET", "HEAD", "POST"])
        own = [
            path("permissions/", self.admin_view(views.permissions), name="permissions"),
            path(
                "accounts/group/<int:pk>/agents/",
                self.admin_view(get_post(views.group_agents)),
                name="permissions_group_agents",
            ),
            path(
                "accounts/group/<int:pk>/roles/",
                self.admin_view(get_post(views.group_roles)),
                name="permissions_group_roles",
            ),
            path(
                "accounts/role/<int:pk>/agents/",
                self.admin_view(get_post(views.role_agents)),
                name="permissions_role_agents",
            ),
            path("scheduled-jobs/", self.admin_view(views.scheduled_jobs), name="scheduled_jobs"),
            path("health/", self.admin_view(views.health), name="health"),
            path("configuration/", self.admin_view(views.configuration), name="configuration"),
            path(
                "configuration/<slug:key>/",
                self.admin_view(get_post(views.configuration_setting)),
                name="configuration_setting",
            ),
            path("sessions/", self.admin_view(get_post(views.sessions)), name="sessions"),
            path("system-log/", self.admin_view(views.system_log), name="system_log"),
            path(
                "support-bundle/",
                self.admin_view(get_post(views.support_bundle)),
                name="support_bundle",
            ),
        ]
        return own + super().get_urls()
