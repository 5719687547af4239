"""Sign-in and preference forms."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from otrs.permissions import PermissionKey, grants_for

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
    """Language, time zone, rows per page; which notifications the agent gets by mail; and
    "My queues", chosen among the queues the agent may read."""

    GENERAL = ("language", "time_zone", "rows_per_page")

    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    rows_per_page = forms.TypedChoiceField(
        label=_("Rows per page"), coerce=int, choices=[(n, n) for n in (10, 25, 50, 100)]
    )
    my_queues = forms.ModelMultipleChoiceField(
        label=_("My queues"),
        queryset=None,
        required=False,
        help_text=_("New tickets and follow-ups in these queues are sent to you by mail."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = User
        fields = ["language", "time_zone", "rows_per_page"]

    def __init__(self, *args, **kwargs):
        # The ticket domain is imported here: accounts sit below it.
        from tickets.models import PersonalQueue, Queue
        from tickets.notifications import NOTIFICATIONS, wants

        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser default"))] + [
            (code, _(name)) for code, name in settings.LANGUAGES
        ]
        self.fields["time_zone"].choices = _time_zone_choices()
        readable = (
            Queue.objects.valid()
            .filter(group_id__in=sorted(grants_for(self.instance).group_ids(PermissionKey.RO)))
            .order_by("full_name")
        )
        self.fields["my_queues"].queryset = readable
        self.fields["my_queues"].initial = list(
            PersonalQueue.objects.filter(user=self.instance, queue__in=readable).values_list(
                "queue_id", flat=True
            )
        )
        self._notifications = NOTIFICATIONS
        for key, notification in NOTIFICATIONS.items():
            self.fields[f"notify_{key}"] = forms.BooleanField(
                label=notification.label,
                required=False,
                initial=wants(self.instance, notification),
            )

    @property
    def general_fields(self):
        return [self[name] for name in self.GENERAL]

    @property
    def notification_fields(self):
        return [self[f"notify_{key}"] for key in self._notifications]

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        preferences = dict(user.notification_preferences or {})
        for key in self._notifications:
            preferences[key] = bool(self.cleaned_data.get(f"notify_{key}"))
        user.notification_preferences = preferences
        if commit:
            with transaction.atomic():
                user.save()
                self._save_my_queues(user)
        return user

    def _save_my_queues(self, user: User) -> None:
        from tickets.models import PersonalQueue

        chosen = {queue.pk for queue in self.cleaned_data.get("my_queues") or []}
        mine = PersonalQueue.objects.filter(user=user)
        mine.exclude(queue_id__in=chosen).delete()
        existing = set(mine.values_list("queue_id", flat=True))
        PersonalQueue.objects.bulk_create(
            [PersonalQueue(user=user, queue_id=pk) for pk in sorted(chosen - existing)]
        )
