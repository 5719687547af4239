"""Who may call at all: signed-in agents; customers only when ``API_CUSTOMER_ACCESS`` is on.
A read-scoped token may only read. What a caller may see and change is then decided by each
app's access entry and actions, as on the screens."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from .models import AccessToken


def api_user_allowed(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    if getattr(user, "is_agent", False):
        return True
    return bool(getattr(user, "is_customer", False) and settings.API_CUSTOMER_ACCESS)


class ApiAccess(permissions.BasePermission):
    message = _("A write-scoped token is needed for this request.")

    def has_permission(self, request, view) -> bool:
        if not api_user_allowed(request.user):
            # Not authenticated -> 401 (DRF); authenticated but not an API user -> 403.
            self.message = _("This account may not use the API.")
            return False
        token = request.auth
        if request.method in permissions.SAFE_METHODS or not isinstance(token, AccessToken):
            return True
        return token.can_write


class AgentsOnly(permissions.BasePermission):
    """Endpoints customers never use (master data for agents, bulk changes)."""

    message = _("Only agents may use this endpoint.")

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "is_agent", False))
