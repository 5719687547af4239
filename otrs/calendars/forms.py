"""Forms of the calendar admin: working hours that must not overlap nor leave the week
empty, and the two holiday imports."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validation import hhmm, overlapping_slots
from .worktime import MINUTES_PER_DAY


class WorkingSlotFormSet(forms.BaseInlineFormSet):
    """All of a calendar's slots together: none overlapping, at least one in the week."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        slots = []
        forms_by_slot = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            weekday, start, end = data.get("weekday"), data.get("start"), data.get("end")
            if weekday is None or start is None or end is None:
                continue
            end_minute = end.hour * 60 + end.minute or MINUTES_PER_DAY
            key = (int(weekday), start.hour * 60 + start.minute, end_minute)
            slots.append(key)
            forms_by_slot[key] = form
        if not slots:
            raise forms.ValidationError(
                _("Working hours: a calendar needs at least one working slot in the week.")
            )
        clash = overlapping_slots(slots)
        if clash is not None:
            weekday, before, after = clash
            form = forms_by_slot[(weekday, *after)]
            form.add_error(
                "start",
                _("Working hours: %(a)s overlaps %(b)s on the same day.")
                % {
                    "a": f"{hhmm(after[0])}-{hhmm(after[1])}",
                    "b": f"{hhmm(before[0])}-{hhmm(before[1])}",
                },
            )
            raise forms.ValidationError(_("Working hours overlap."))


class IcsImportForm(forms.Form):
    file = forms.FileField(
        label=_("iCalendar file"), help_text=_("A .ics file; its all-day events become holidays.")
    )


class CountryImportForm(forms.Form):
    country = forms.CharField(
        label=_("country"), max_length=3, help_text=_("ISO 3166 code, e.g. DE, US, AT.")
    )
    region = forms.CharField(
        label=_("region"),
        max_length=10,
        required=False,
        help_text=_("Optional subdivision code, e.g. BY for Bavaria or NY for New York."),
    )
    first_year = forms.IntegerField(label=_("from year"), min_value=1990, max_value=2200)
    last_year = forms.IntegerField(label=_("until year"), min_value=1990, max_value=2200)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["first_year"].initial = year
        self.fields["last_year"].initial = year + 1

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first is not None and last is not None:
            if last < first:
                self.add_error("last_year", _("The last year comes before the first."))
            elif last - first > 20:
                self.add_error("last_year", _("At most 20 years at a time."))
        return cleaned

    def years(self) -> range:
        return range(self.cleaned_data["first_year"], self.cleaned_data["last_year"] + 1)
