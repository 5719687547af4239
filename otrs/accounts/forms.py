"""The agent sign-in form (the agent portal's pages are in :mod:`otrs.agent`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .models import User


class AgentLoginForm(AuthenticationForm):
    """Django's sign-in, for agents only and throttled after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_agent": _("This sign-in is for agents. Customers sign in at the customer portal."),
        "throttled": _("Too many failed sign-ins. Please wait a few minutes and try again."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request)
        if throttle.is_blocked(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure(username, address)
            raise
        throttle.reset(username, address)
        return cleaned

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_agent:
            raise forms.ValidationError(self.error_messages["not_agent"], code="not_agent")
