"""The agent sign-in form (the agent portal's pages are in :mod:`otrs.agent`)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import throttle
from .models import User


class AgentLoginForm(throttle.ThrottledSignInMixin, AuthenticationForm):
    """Django's sign-in, for agents only and throttled after repeated failures."""

    throttle_scope = throttle.ThrottleScope.AGENT_SIGN_IN
    error_messages = {
        **AuthenticationForm.error_messages,
        "not_agent": _("This sign-in is for agents. Customers sign in at the customer portal."),
    }

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_agent:
            raise forms.ValidationError(self.error_messages["not_agent"], code="not_agent")
