"""The ticket part of the agent's preferences page: which notifications the agent gets by
mail, and "My queues", chosen among the queues the agent may read."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from otrs.agent.preferences import PreferencesSection
from otrs.permissions import PermissionKey, grants_for

from . import columns, dashboard
from .actions import set_personal_queues
from .models import PersonalQueue, Queue
from .notifications import choosable, label, wants


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
        # The notifications the admin lets agents choose (agent_may_choose), in their
        # language when the record has a text in it.
        self.notifications = choosable()
        for notification in self.notifications:
            self.fields[f"notify_{notification.key}"] = forms.BooleanField(
                label=label(notification),
                required=False,
                initial=wants(self.user, notification),
            )

    @property
    def notification_fields(self):
        return [self[f"notify_{n.key}"] for n in self.notifications]

    def save(self) -> None:
        user = self.user
        preferences = dict(user.notification_preferences or {})
        for notification in self.notifications:
            preferences[notification.key] = bool(
                self.cleaned_data.get(f"notify_{notification.key}")
            )
        user.notification_preferences = preferences
        with transaction.atomic():
            user.save(update_fields=["notification_preferences"])
            set_personal_queues(user, self.cleaned_data.get("my_queues") or [], actor=user)


class ColumnPreferences(PreferencesSection):
    """The columns of the ticket lists (:mod:`tickets.columns`): per overview, which to
    show (a checkbox each) and in which order (a position number each), without JavaScript.
    The ticket number or the title must stay: they link to the ticket."""

    template_name = "tickets/column_preferences.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.available = columns.available()
        for overview in columns.OVERVIEWS:
            shown = [c.key for c in columns.chosen(self.user, overview)]
            for index, column in enumerate(self.available):
                on, position = self._names(overview, index)
                self.fields[on] = forms.BooleanField(
                    label=column.label, required=False, initial=column.key in shown
                )
                self.fields[position] = forms.IntegerField(
                    label=_("Position of %(column)s") % {"column": column.label},
                    min_value=1,
                    max_value=999,
                    required=False,
                    initial=shown.index(column.key) + 1 if column.key in shown else None,
                    widget=forms.NumberInput(attrs={"size": 3}),
                )

    @staticmethod
    def _names(overview: str, index: int) -> tuple[str, str]:
        return f"columns_{overview}_{index}", f"columns_{overview}_{index}_position"

    @property
    def overviews(self):
        """(key, label, [(checkbox, position field)]) per overview, for the template."""
        return [
            (
                key,
                label,
                [
                    (self[self._names(key, i)[0]], self[self._names(key, i)[1]])
                    for i in range(len(self.available))
                ],
            )
            for key, label in columns.OVERVIEWS.items()
        ]

    def _sent(self, overview: str) -> bool:
        """Whether the form sent this overview's fields (its position inputs always go); a
        form without them (another client, an older page) keeps the agent's choice."""
        prefix = f"columns_{overview}_"
        return any(name.startswith(prefix) for name in self.data)

    def choice(self) -> dict[str, list[str]]:
        """The chosen keys per overview: by position, unnumbered ones last in list order;
        an overview the form did not send keeps what is stored."""
        stored = dict(self.user.list_columns or {})
        result = {}
        for overview in columns.OVERVIEWS:
            if not self._sent(overview):
                if overview in stored:
                    result[overview] = stored[overview]
                continue
            picked = []
            for index, column in enumerate(self.available):
                on, position = self._names(overview, index)
                if self.cleaned_data.get(on):
                    picked.append((self.cleaned_data.get(position) or 1000, index, column.key))
            result[overview] = [key for _p, _i, key in sorted(picked)]
        return result

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        for overview, keys in self.choice().items():
            if self._sent(overview) and not set(keys) & set(columns.LINKS):
                raise forms.ValidationError(
                    _("%(overview)s: keep the ticket number or the title, they link to the ticket.")
                    % {"overview": columns.OVERVIEWS[overview]},
                    code="no_link",
                )
        return data

    def save(self) -> None:
        columns.save_choice(self.user, self.choice())


class DashboardPreferences(PreferencesSection):
    """The dashboard's widgets (:mod:`tickets.dashboard`): which to show (a checkbox each)
    and in which order (a position number each); none ticked is refused. A form without
    these fields keeps the agent's choice."""

    template_name = "tickets/dashboard_preferences.html"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown = [kind.key for kind in dashboard.chosen(self.user)]
        for kind in dashboard.WIDGETS:
            self.fields[f"widget_{kind.key}"] = forms.BooleanField(
                label=kind.title, required=False, initial=kind.key in shown
            )
            self.fields[f"widget_{kind.key}_position"] = forms.IntegerField(
                label=_("Position of %(column)s") % {"column": kind.title},
                min_value=1,
                max_value=99,
                required=False,
                initial=shown.index(kind.key) + 1 if kind.key in shown else None,
            )

    @property
    def rows(self):
        return [
            (self[f"widget_{kind.key}"], self[f"widget_{kind.key}_position"])
            for kind in dashboard.WIDGETS
        ]

    def _sent(self) -> bool:
        return any(name.startswith("widget_") for name in self.data)

    def choice(self) -> list[str]:
        picked = [
            (self.cleaned_data.get(f"widget_{kind.key}_position") or 100, index, kind.key)
            for index, kind in enumerate(dashboard.WIDGETS)
            if self.cleaned_data.get(f"widget_{kind.key}")
        ]
        return [key for _p, _i, key in sorted(picked)]

    def clean(self):
        data = super().clean()
        if self._sent() and not self.errors and not self.choice():
            raise forms.ValidationError(_("Keep at least one dashboard widget."), code="no_widget")
        return data

    def save(self) -> None:
        if not self._sent():
            return
        self.user.dashboard_widgets = self.choice()
        self.user.save(update_fields=["dashboard_widgets"])
