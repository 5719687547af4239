"""Checks shared by the admin, the imports and :meth:`Schedule.build`."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def validate_time_zone(value: str) -> None:
    """An IANA time zone name that this machine knows (Europe/Berlin, UTC ...)."""
    try:
        if not value or value != value.strip():
            raise ValueError(value)
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            _("“%(zone)s” is not a known time zone (e.g. Europe/Berlin).") % {"zone": value},
            code="invalid_time_zone",
        ) from None


def overlapping_slots(
    slots: Iterable[tuple[int, int, int]],
) -> tuple[int, tuple[int, int], tuple[int, int]] | None:
    """The first two overlapping slots as ``(weekday, (start, end), (start, end))`` in
    minutes, or None. ``slots``: ``(weekday, start minute, end minute)``; slots that only
    touch (12:00 end, 12:00 start) do not overlap."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for weekday, start, end in slots:
        by_day.setdefault(weekday, []).append((start, end))
    for weekday in sorted(by_day):
        ordered = sorted(by_day[weekday])
        for before, after in pairwise(ordered):
            if after[0] < before[1]:
                return weekday, before, after
    return None


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
