"""Working time: adding working minutes to an instant and counting them between two.

Everything here works on a :class:`Schedule`, a calendar as plain immutable data, so it
needs no database and can be cached. Instants are aware datetimes; the answer is in UTC.

How a day is read: each local calendar day of the schedule's time zone that is not a
holiday has the slots of its weekday, each from a local wall-clock start to a local end (an
end of 24:00 is the next midnight). A slot's local ends become instants through the zone, so
the working time of a slot is its real elapsed time: a slot 00:00-04:00 on the night the
clocks go forward holds three hours, on the night they go back five. A wall-clock time that
does not exist (inside the spring-forward gap) is read with the offset in force before the
change, i.e. as the first instant after the gap.

``exclude`` (both functions) takes instants out of the working time, e.g. the periods a
ticket waited in a pending state (a paused SLA clock).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .validation import overlapping_slots

MINUTES_PER_DAY = 24 * 60
UTC = dt.UTC
# How far ahead a target may lie before the schedule is taken for broken (e.g. every day a
# holiday): ten years of days.
MAX_DAYS = 3660

Period = tuple[dt.datetime, dt.datetime]


class CalendarError(ValueError):
    """A calendar that cannot answer (no working hours, unknown time zone ...); the message
    is for people."""


@dataclass(frozen=True)
class Schedule:
    """A calendar as data: slots per weekday (Monday 0) in minutes after local midnight."""

    name: str
    zone: zoneinfo.ZoneInfo
    slots: tuple[tuple[tuple[int, int], ...], ...]
    yearly: frozenset[tuple[int, int]]
    once: frozenset[dt.date]

    @classmethod
    def build(
        cls,
        *,
        name: str,
        time_zone: str,
        slots: Sequence[Iterable[tuple[int, int]]],
        yearly: Iterable[tuple[int, int]] = (),
        once: Iterable[dt.date] = (),
    ) -> Schedule:
        """Check and freeze; a :class:`CalendarError` says what is wrong."""
        try:
            zone = zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise CalendarError(
                _("Calendar “%(name)s”: “%(zone)s” is not a known time zone.")
                % {"name": name, "zone": time_zone}
            ) from None
        days = tuple(tuple(sorted(day)) for day in slots)
        if len(days) != 7:
            raise CalendarError(f"{name}: seven weekdays expected, got {len(days)}")
        for day in days:
            for start, end in day:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise CalendarError(
                        _("Calendar “%(name)s” has working hours that end before they start.")
                        % {"name": name}
                    )
        if not any(days):
            raise CalendarError(
                _("Calendar “%(name)s” has no working hours on any day.") % {"name": name}
            )
        flat = [(weekday, s, e) for weekday, day in enumerate(days) for s, e in day]
        if overlapping_slots(flat) is not None:
            raise CalendarError(
                _("Calendar “%(name)s” has overlapping working hours.") % {"name": name}
            )
        return cls(name=name, zone=zone, slots=days, yearly=frozenset(yearly), once=frozenset(once))

    def is_holiday(self, day: dt.date) -> bool:
        return day in self.once or (day.month, day.day) in self.yearly

    def _instant(self, day: dt.date, minute: int) -> dt.datetime:
        if minute >= MINUTES_PER_DAY:
            day, minute = day + dt.timedelta(days=1), minute - MINUTES_PER_DAY
        # The wall-clock time in the zone (fold 0: a repeated hour's first occurrence).
        local = dt.datetime(
            day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.zone
        )
        return local.astimezone(UTC)

    def day_periods(self, day: dt.date) -> tuple[Period, ...]:
        """The working periods of one local day, as UTC instants (cached: a batch of
        tickets asks for the same days over and over)."""
        return _day_periods(self, day)

    def periods_from(self, start: dt.datetime) -> Iterator[Period]:
        """Working periods from ``start`` on, the first one cut at ``start``; raises
        :class:`CalendarError` after :data:`MAX_DAYS` days."""
        start = _utc(start)
        day = start.astimezone(self.zone).date() - dt.timedelta(days=1)
        for _offset in range(MAX_DAYS):
            for a, b in self.day_periods(day):
                if b <= start:
                    continue
                yield (max(a, start), b)
            day += dt.timedelta(days=1)
        raise CalendarError(
            _("Calendar “%(name)s” has no working time in the next ten years.")
            % {"name": self.name}
        )


@functools.lru_cache(maxsize=20_000)
def _day_periods(schedule: Schedule, day: dt.date) -> tuple[Period, ...]:
    if schedule.is_holiday(day):
        return ()
    periods = []
    for start, end in schedule.slots[day.weekday()]:
        a, b = schedule._instant(day, start), schedule._instant(day, end)
        if a < b:
            periods.append((a, b))
    return tuple(periods)


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return value.astimezone(UTC)


def _minus(periods: Iterable[Period], exclude: Sequence[Period]) -> Iterator[Period]:
    """``periods`` (ascending) without the instants in ``exclude`` (sorted by start)."""
    for a, b in periods:
        pieces = [(a, b)]
        for x, y in exclude:
            if y <= a or x >= b:
                continue
            rest = []
            for p, q in pieces:
                if y <= p or x >= q:
                    rest.append((p, q))
                    continue
                if p < x:
                    rest.append((p, x))
                if y < q:
                    rest.append((y, q))
            pieces = rest
        yield from pieces


def _prepare(exclude: Iterable[Period]) -> list[Period]:
    return sorted((_utc(a), _utc(b)) for a, b in exclude if b > a)


def add_working_seconds(
    schedule: Schedule,
    start: dt.datetime,
    seconds: float,
    *,
    exclude: Iterable[Period] = (),
) -> dt.datetime:
    """The instant at which ``seconds`` of working time have passed since ``start``.

    A result that falls exactly on the end of a slot is that end (17:00), not the start of
    the next one. Zero seconds give ``start`` itself.
    """
    start = _utc(start)
    if seconds <= 0:
        return start
    remaining = dt.timedelta(seconds=seconds)
    for a, b in _minus(schedule.periods_from(start), _prepare(exclude)):
        length = b - a
        if remaining <= length:
            return a + remaining
        remaining -= length
    raise AssertionError("periods_from ends with CalendarError")  # pragma: no cover


def add_working_minutes(
    schedule: Schedule,
    start: dt.datetime,
    minutes: int,
    *,
    exclude: Iterable[Period] = (),
) -> dt.datetime:
    """The instant ``minutes`` working minutes after ``start`` (UTC)."""
    return add_working_seconds(schedule, start, minutes * 60, exclude=exclude)


def working_seconds_between(
    schedule: Schedule,
    a: dt.datetime,
    b: dt.datetime,
    *,
    exclude: Iterable[Period] = (),
) -> float:
    """Working seconds from ``a`` to ``b``; 0 when ``b`` is not after ``a``."""
    a, b = _utc(a), _utc(b)
    if b <= a:
        return 0.0
    total = dt.timedelta()
    # The periods ascend, so the walk stops at b, however far b lies.
    for p, q in _minus(_until(schedule.periods_from(a), b), _prepare(exclude)):
        total += q - p
    return total.total_seconds()


def _until(periods: Iterator[Period], end: dt.datetime) -> Iterator[Period]:
    for a, b in periods:
        if a >= end:
            return
        yield (a, min(b, end))


def working_minutes_between(
    schedule: Schedule,
    a: dt.datetime,
    b: dt.datetime,
    *,
    exclude: Iterable[Period] = (),
) -> int:
    """Whole working minutes from ``a`` to ``b`` (seconds beyond the last whole minute are
    dropped); 0 when ``b`` is not after ``a``."""
    return int(working_seconds_between(schedule, a, b, exclude=exclude) // 60)


def working_periods(
    schedule: Schedule,
    a: dt.datetime,
    b: dt.datetime,
    *,
    exclude: Iterable[Period] = (),
) -> list[Period]:
    """The working periods between ``a`` and ``b`` (for showing how a time was counted)."""
    a, b = _utc(a), _utc(b)
    if b <= a:
        return []
    return list(_minus(_until(schedule.periods_from(a), b), _prepare(exclude)))


def is_working_time(schedule: Schedule, at: dt.datetime) -> bool:
    at = _utc(at)
    return working_seconds_between(schedule, at, at + dt.timedelta(seconds=1)) > 0
