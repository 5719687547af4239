"""The form of the in-app notification list: which ones to mark read."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class IdsField(forms.Field):
    """Ticked row ids: whole numbers, at most a page of them."""

    widget = forms.MultipleHiddenInput
    limit = 1000

    def to_python(self, value) -> list[int]:
        values = [str(v).strip() for v in (value or ()) if str(v).strip()]
        if len(values) > self.limit or not all(v.isascii() and v.isdigit() for v in values):
            raise forms.ValidationError(_("Choose the notifications to mark read."))
        return [int(v) for v in values if len(v) < 19]


class MarkReadForm(forms.Form):
    """The ticked notifications, or all (``all``); nothing chosen is refused."""

    ids = IdsField(required=False)
    all = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("all") and not data.get("ids"):
            raise forms.ValidationError(_("Choose the notifications to mark read."))
        return data

    def chosen(self) -> list[int] | None:
        """The ids to mark read; ``None``: all."""
        return None if self.cleaned_data["all"] else self.cleaned_data["ids"]
