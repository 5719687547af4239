"""Business calendars: a time zone, working slots per weekday, yearly and one-time holidays."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validation import validate_time_zone
from .worktime import MINUTES_PER_DAY, Schedule

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

# The calendar a queue or SLA without a calendar name uses (spec section 6).
DEFAULT_CALENDAR_NAME = "Default"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Calendar(models.Model):
    """A named business calendar; queues and SLAs refer to it by name."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("An IANA time zone name such as Europe/Berlin or America/New_York."),
    )
    is_default = models.BooleanField(
        _("default calendar"),
        default=False,
        help_text=_("Used by queues and SLAs that name no calendar."),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    slots: RelatedManager[WorkingSlot]
    holidays: RelatedManager[Holiday]

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_calendar",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> Schedule:
        """The calendar as plain data for :mod:`otrs.calendars.worktime` (two queries)."""
        per_day: list[list[tuple[int, int]]] = [[] for _day in range(7)]
        for slot in self.slots.all():
            per_day[slot.weekday].append((slot.start_minute, slot.end_minute))
        yearly = set()
        once = set()
        for holiday in self.holidays.all():
            if holiday.yearly:
                yearly.add((holiday.date.month, holiday.date.day))
            else:
                once.add(holiday.date)
        return Schedule.build(
            name=self.name,
            time_zone=self.time_zone,
            slots=per_day,
            yearly=yearly,
            once=once,
        )


def _minute(value: dt.time) -> int:
    return value.hour * 60 + value.minute


class WorkingSlot(models.Model):
    """Working hours on one weekday, from ``start`` to ``end`` (an end of 00:00 is midnight,
    the end of the day)."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="slots", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    @property
    def start_minute(self) -> int:
        return _minute(self.start)

    @property
    def end_minute(self) -> int:
        return _minute(self.end) or MINUTES_PER_DAY

    def clean(self) -> None:
        if self.start is None or self.end is None:
            return
        if self.start.second or self.end.second:
            raise ValidationError({"end": _("Working hours are given in whole minutes.")})
        if self.end_minute <= self.start_minute:
            raise ValidationError({"end": _("The end must be after the start.")})


class Holiday(models.Model):
    """A day off: every year on the same day (``yearly``), or once."""

    calendar = models.ForeignKey(
        Calendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(
        _("date"), help_text=_("For a yearly holiday only the day and month count.")
    )
    yearly = models.BooleanField(_("every year"), default=False)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date", "yearly"], name="uniq_calendar_holiday"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%m-%d}" if self.yearly else self.date.isoformat()
