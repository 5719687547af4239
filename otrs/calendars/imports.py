"""Holidays into a calendar: from an iCalendar file, or from the ``holidays`` package for a
country (and region). Both add what is missing and keep what is there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Calendar, Holiday

# An iCalendar file larger than this is refused (a holiday file is a few kilobytes).
MAX_ICS_BYTES = 2 * 1024 * 1024
# One all-day event longer than this is no holiday (a year-long "event" is a mistake).
MAX_EVENT_DAYS = 31


@dataclass(frozen=True)
class HolidayInput:
    date: dt.date
    name: str
    yearly: bool = False


def parse_ics(content: bytes) -> list[HolidayInput]:
    """The all-day events of an iCalendar file as holidays (a yearly rule makes a yearly
    holiday, an event of several days one holiday per day); ValidationError on ``file``
    when the content is no calendar."""
    # Imported here: only the admin's import needs the parser, not every process that
    # loads the calendars.
    import icalendar

    if len(content) > MAX_ICS_BYTES:
        raise ValidationError({"file": _("The file is too large for a holiday calendar.")})
    try:
        parsed = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as error:
        raise ValidationError(
            {"file": _("This is not an iCalendar file: %(error)s") % {"error": error}}
        ) from None
    found: list[HolidayInput] = []
    for event in parsed.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        first = start.dt
        if isinstance(first, dt.datetime):
            first = first.date()
        end = event.get("DTEND")
        last = end.dt if end is not None else first + dt.timedelta(days=1)
        if isinstance(last, dt.datetime):
            last = last.date() + dt.timedelta(days=1)
        days = max(1, min((last - first).days, MAX_EVENT_DAYS))
        rule = event.get("RRULE") or {}
        yearly = [str(f).upper() for f in rule.get("FREQ", [])] == ["YEARLY"]
        name = str(event.get("SUMMARY", ""))[:200]
        for offset in range(days):
            found.append(HolidayInput(first + dt.timedelta(days=offset), name, yearly))
    if not found:
        raise ValidationError({"file": _("The file holds no events.")})
    return found


def country_holidays(country: str, region: str, years: Iterable[int]) -> list[HolidayInput]:
    """The public holidays of ``country`` (ISO code, e.g. DE) and ``region`` (e.g. BY, may be
    empty) in ``years``, as one-time holidays (many move from year to year)."""
    # Imported here: the holidays package is large and only this import needs it.
    import holidays

    code, subdivision = country.strip().upper(), region.strip().upper()
    supported = holidays.list_supported_countries()
    if code not in supported:
        raise ValidationError(
            {"country": _("“%(country)s” is not a known country code.") % {"country": country}}
        )
    if subdivision and subdivision not in supported[code]:
        raise ValidationError(
            {
                "region": _("“%(region)s” is not a region of %(country)s.")
                % {"region": region, "country": code}
            }
        )
    found = holidays.country_holidays(code, subdiv=subdivision or None, years=list(years))
    return [HolidayInput(day, str(name)[:200]) for day, name in sorted(found.items())]


def add_holidays(calendar: Calendar, holidays: Iterable[HolidayInput]) -> int:
    """Add the holidays the calendar does not have yet; how many were added."""
    with transaction.atomic():
        have = set(calendar.holidays.values_list("date", "yearly"))
        new = []
        for holiday in holidays:
            key = (holiday.date, holiday.yearly)
            if key in have:
                continue
            have.add(key)
            new.append(
                Holiday(
                    calendar=calendar, date=holiday.date, yearly=holiday.yearly, name=holiday.name
                )
            )
        Holiday.objects.bulk_create(new)
    return len(new)
