"""The admin site: Django's admin, opened to staff agents only, with the dashboard's own
screens (overview, permission matrices, scheduled jobs) in front of its model pages."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from otrs.accounts import throttle, twofactor

from . import views


class AdminSignInForm(throttle.ThrottledSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in, throttled in a scope of its own."""

    throttle_scope = throttle.ThrottleScope.ADMIN_SIGN_IN


class AdminLoginView(twofactor.SecondStepLoginMixin, LoginView):
    """Django's admin sign-in, with the code step for users who enrolled."""

    code_step_url = "admin:login_code"


admin_login_code = twofactor.code_step_view(
    template="admin/login_code.html",
    scope=throttle.ThrottleScope.ADMIN_SIGN_IN,
    login_url="admin:login",
)


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

    def login(self, request, extra_context=None):
        """Django's ``AdminSite.login`` with :class:`AdminLoginView` (the code step)."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return AdminLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template or "admin/login.html",
        )(request)

    def index(self, request, extra_context=None):
        """The dashboard (:mod:`otrs.web.admin_modules`) instead of Django's list of models."""
        return views.dashboard(request)

    def get_urls(self):
        get_post = require_http_methods(["GET", "HEAD", "POST"])
        own = [
            path("login/code/", admin_login_code, name="login_code"),
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
                "configuration/environment/",
                self.admin_view(views.environment),
                name="configuration_environment",
            ),
            path(
                "configuration/<slug:key>/",
                self.admin_view(get_post(views.configuration_setting)),
                name="configuration_setting",
            ),
            path("sessions/", self.admin_view(get_post(views.sessions)), name="sessions"),
            path(
                "sessions/end/",
                self.admin_view(require_POST(views.end_sessions)),
                name="end_sessions",
            ),
            path("system-log/", self.admin_view(views.system_log), name="system_log"),
            path(
                "support-bundle/",
                self.admin_view(get_post(views.support_bundle)),
                name="support_bundle",
            ),
        ]
        return own + super().get_urls()
