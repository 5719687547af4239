"""The form that makes a personal access token on the agent's token page."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from otrs import policy

from .models import TokenScope


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class NewTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for."))
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices)
    expires_on = forms.DateField(label=_("Expires on"), widget=_DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = (timezone.localdate() + timedelta(days=90)).isoformat()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(gettext("Please give the token a name."))
        return name

    def clean_expires_on(self) -> datetime:
        """The end of the chosen day in the agent's time zone."""
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        days = policy.value("api_token_max_days")
        if day < today or day > today + timedelta(days=days):
            raise forms.ValidationError(
                gettext("Choose a day from today to %(days)s days ahead.") % {"days": days}
            )
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
