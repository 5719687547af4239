"""Sign-in and preference forms."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
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


def _time_zone_choices():
    return [("", _("Site default"))] + [
        (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
    ]


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    rows_per_page = forms.TypedChoiceField(
        label=_("Rows per page"), coerce=int, choices=[(n, n) for n in (10, 25, 50, 100)]
    )

    class Meta:
        model = User
        fields = ["language", "time_zone", "rows_per_page"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser default"))] + [
            (code, _(name)) for code, name in settings.LANGUAGES
        ]
        self.fields["time_zone"].choices = _time_zone_choices()
