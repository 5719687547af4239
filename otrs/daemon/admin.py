"""Celery beat's crontab form, made to refuse what its parser cannot read.

django-celery-beat's validators let the parser's own exception through for some input (a
negative number raises pyparsing's ParseException, not a ValueError): a 500 instead of a
message on the form. The form below turns any parser failure into a field error, and the
page shows the schedule without parsing it.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin as BaseCrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule

from . import selectors

CRONTAB_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


class CrontabScheduleForm(forms.ModelForm):
    class Meta:
        model = CrontabSchedule
        fields = ["minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone"]

    def _post_clean(self) -> None:
        for name in CRONTAB_FIELDS:
            if name in self.cleaned_data:
                value = self.cleaned_data[name]
                for validator in CrontabSchedule._meta.get_field(name).validators:
                    try:
                        validator(value)
                    except ValidationError:
                        break  # the model's own validation reports it
                    except Exception:  # the parser's own exceptions
                        self.add_error(
                            name, _("This is not a crontab value: “%(value)s”.") % {"value": value}
                        )
                        break
        super()._post_clean()  # type: ignore[misc]


admin.site.unregister(CrontabSchedule)


@admin.register(CrontabSchedule)
class CrontabScheduleAdmin(BaseCrontabScheduleAdmin):
    form = CrontabScheduleForm
    # The package's "human_readable" parses the values again and fails the same way on a
    # form sent back with an error: the schedule in our words reads the fields as text.
    list_display = ("__str__", "in_words")
    fields = (
        "in_words",
        "minute",
        "hour",
        "day_of_month",
        "month_of_year",
        "day_of_week",
        "timezone",
    )
    readonly_fields = ("in_words",)

    @admin.display(description=_("schedule"))
    def in_words(self, obj: CrontabSchedule) -> str:
        return selectors.crontab_in_words(obj)
