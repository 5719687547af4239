"""The filters of the reports (period, grouping, queue) and the schedule form."""

from __future__ import annotations

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from otrs.accounts.models import User
from otrs.permissions import PermissionKey

from .. import access
from ..models import Queue, ReportFormat, ReportFrequency
from ..reports import Dimension, Filters, default_filters

# The longest period one report covers (days).
MAX_DAYS = 366


class QueueField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Queue) -> str:
        return obj.full_name


class ReportFilterForm(forms.Form):
    """GET parameters of a report page; :meth:`filters` gives the :class:`Filters`."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    dimension = forms.ChoiceField(label=_("Group by"), choices=Dimension.choices, required=False)
    queue = QueueField(
        label=_("Queue"), queryset=Queue.objects.none(), required=False, empty_label=_("all")
    )

    def __init__(self, data=None, *, user: User, **kwargs):
        defaults = default_filters()
        initial = {"start": defaults.start, "end": defaults.end, "dimension": Dimension.QUEUE}
        if data is not None and not any(k in data for k in initial):
            data = None  # the first visit: the defaults, as an unbound form
        super().__init__(data, initial=initial, label_suffix="", **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["queue"])
        field.queryset = access.queues_for(user, PermissionKey.RO)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period lies before its start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error(
                    "end", _("A report covers at most %(days)d days.") % {"days": MAX_DAYS}
                )
        return data

    def filters(self) -> Filters:
        if not self.is_bound:
            return default_filters()
        data = self.cleaned_data
        return Filters(
            start=data["start"],
            end=data["end"],
            dimension=data.get("dimension") or Dimension.QUEUE,
            queue=data.get("queue"),
        )


class AgentsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class ScheduleForm(forms.Form):
    """Mail the report on screen (its grouping and queue) on a schedule."""

    name = forms.CharField(label=_("Name"), max_length=200)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=ReportFrequency.choices)
    # Left out (a form from before PDF output): CSV, as it was.
    formats = forms.ChoiceField(
        label=_("Attach as"),
        choices=ReportFormat.choices,
        initial=ReportFormat.CSV,
        required=False,
    )
    recipients = AgentsField(
        label=_("Recipients"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Agents who may read reports; each gets the tickets they may see."),
    )
    dimension = forms.ChoiceField(choices=Dimension.choices, widget=forms.HiddenInput)
    queue = forms.ModelChoiceField(
        queryset=Queue.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, user: User, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelMultipleChoiceField, self.fields["recipients"]
        ).queryset = access.report_readers()
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = access.queues_for(
            user, PermissionKey.RO
        )

    def clean_formats(self) -> str:
        return self.cleaned_data.get("formats") or ReportFormat.CSV
