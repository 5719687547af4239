"""The ticket part of the agent's preferences page: which notifications the agent gets by
mail, and "My queues", chosen among the queues the agent may read."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from otrs.agent.preferences import PreferencesSection
from otrs.permissions import PermissionKey, grants_for

from .actions import set_personal_queues
from .models import PersonalQueue, Queue
from .notifications import NOTIFICATIONS, wants


class TicketPreferences(PreferencesSection):
    template_name = "tickets/agent_preferences.html"

    my_queues: forms.ModelMultipleChoiceField[Queue] = forms.ModelMultipleChoiceField(
        label=_("My queues"),
        queryset=None,
        required=False,
        help_text=_("New tickets and follow-ups in these queues are sent to you by mail."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        readable = (
            Queue.objects.valid()
            .filter(group_id__in=sorted(grants_for(self.user).group_ids(PermissionKey.RO)))
            .order_by("full_name")
        )
        self.fields["my_queues"].queryset = readable
        self.fields["my_queues"].initial = list(
            PersonalQueue.objects.filter(user=self.user, queue__in=readable).values_list(
                "queue_id", flat=True
            )
        )
        for key, notification in NOTIFICATIONS.items():
            self.fields[f"notify_{key}"] = forms.BooleanField(
                label=notification.label,
                required=False,
                initial=wants(self.user, notification),
            )

    @property
    def notification_fields(self):
        return [self[f"notify_{key}"] for key in NOTIFICATIONS]

    def save(self) -> None:
        user = self.user
        preferences = dict(user.notification_preferences or {})
        for key in NOTIFICATIONS:
            preferences[key] = bool(self.cleaned_data.get(f"notify_{key}"))
        user.notification_preferences = preferences
        with transaction.atomic():
            user.save(update_fields=["notification_preferences"])
            set_personal_queues(user, self.cleaned_data.get("my_queues") or [], actor=user)
