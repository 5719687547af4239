"""The admin site: Django's admin, opened to staff agents only."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from otrs.accounts import throttle


class AdminSignInForm(throttle.ThrottledSignInMixin, AdminAuthenticationForm):
    """The admin's sign-in, throttled in a scope of its own."""

    throttle_scope = throttle.ThrottleScope.ADMIN_SIGN_IN


class AdminSite(admin.AdminSite):
    """Admits active staff *agents*; a customer or the system user never gets in, whatever
    flags their account carries."""

    site_header = _("OTRS-Django administration")
    site_title = _("OTRS-Django administration")
    login_form = AdminSignInForm

    def has_permission(self, request) -> bool:
        user = request.user
        return super().has_permission(request) and getattr(user, "is_agent", False)
