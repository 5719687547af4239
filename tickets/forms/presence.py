"""What an open zoom or composer sends when it renews its presence on a ticket."""

from __future__ import annotations

from django import forms

from ..presence import ACTIVITIES, VIEWING


class PresenceForm(forms.Form):
    """The page's activity (viewing or writing) and the ticket version it shows. Anything
    unreadable counts as viewing the current version: a renewal never fails."""

    activity = forms.ChoiceField(choices=[(a, a) for a in ACTIVITIES], required=False)
    seen = forms.RegexField(regex=r"^\d{1,20}$", required=False)

    def activity_and_seen(self) -> tuple[str, str]:
        self.is_valid()
        return self.cleaned_data.get("activity") or VIEWING, self.cleaned_data.get("seen") or ""
