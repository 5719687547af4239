"""The working-time functions against hand-computed cases, and a property test.

Every expected value below was worked out by hand from the calendar's slots; the comment
above each case shows the sum.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otrs.calendars.worktime import (
    CalendarError,
    Schedule,
    add_working_minutes,
    add_working_seconds,
    is_working_time,
    working_minutes_between,
    working_periods,
    working_seconds_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC

# 08-12 and 13-17 on weekdays.
SPLIT = [(8 * 60, 12 * 60), (13 * 60, 17 * 60)]


def schedule(zone="UTC", *, days=5, slots=SPLIT, yearly=(), once=()):
    week = [list(slots) if d < days else [] for d in range(7)]
    return Schedule.build(name="test", time_zone=zone, slots=week, yearly=yearly, once=once)


def at(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


# --- adding ------------------------------------------------------------------------------------


def test_it_adds_within_one_slot():
    s = schedule()
    # Mon 2024-03-04 09:00 + 120 min = 11:00.
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 9), 120) == at(UTC, 2024, 3, 4, 11)


def test_it_skips_the_lunch_break():
    s = schedule()
    # 11:00 + 120: 60 until 12:00, lunch, 60 from 13:00 -> 14:00.
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 11), 120) == at(UTC, 2024, 3, 4, 14)


def test_a_result_on_the_end_of_a_slot_is_that_end_not_the_next_start():
    s = schedule()
    # 16:00 + 60 = 17:00 exactly (not Tuesday 08:00); 11:00 + 60 = 12:00 (not 13:00).
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 16), 60) == at(UTC, 2024, 3, 4, 17)
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 11), 60) == at(UTC, 2024, 3, 4, 12)


def test_a_start_outside_working_hours_begins_at_the_next_slot():
    s = schedule()
    # Mon 20:00 + 30 -> Tue 08:30; Mon 12:30 (lunch) + 30 -> 13:30; Mon 00:00 + 1 -> 08:01.
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 20), 30) == at(UTC, 2024, 3, 5, 8, 30)
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 12, 30), 30) == at(UTC, 2024, 3, 4, 13, 30)
    assert add_working_minutes(s, at(UTC, 2024, 3, 4), 1) == at(UTC, 2024, 3, 4, 8, 1)


def test_a_target_spanning_a_weekend():
    s = schedule()
    # Fri 2024-03-08 15:00 + 600 min: Fri 120 (15-17), Mon 240 (08-12) + 240 (13-17) = 600
    # -> Mon 2024-03-11 17:00; one more minute -> Tue 08:01.
    start = at(UTC, 2024, 3, 8, 15)
    assert add_working_minutes(s, start, 600) == at(UTC, 2024, 3, 11, 17)
    assert add_working_minutes(s, start, 601) == at(UTC, 2024, 3, 12, 8, 1)
    assert working_minutes_between(s, start, at(UTC, 2024, 3, 11, 17)) == 600


def test_a_friday_holiday_moves_the_target_to_monday():
    # Good Friday 2024-03-29 off (one-time), Thu 16:00 + 120: Thu 60, Fri off, weekend off,
    # Mon 2024-04-01 60 -> 09:00 (Easter Monday is a working day in this calendar).
    s = schedule(once=[dt.date(2024, 3, 29)])
    assert add_working_minutes(s, at(UTC, 2024, 3, 28, 16), 120) == at(UTC, 2024, 4, 1, 9)
    # A yearly Friday holiday (2026-12-25 is a Friday) works the same.
    s = schedule(yearly=[(12, 25)])
    assert add_working_minutes(s, at(UTC, 2026, 12, 24, 16), 120) == at(UTC, 2026, 12, 28, 9)


def test_midnight_slots_end_at_the_next_midnight():
    # 20:00-24:00 every day: Mon 23:00 + 120 = 60 Monday + Tue 20:00 + 60 -> Tue 21:00.
    s = schedule(days=7, slots=[(20 * 60, 24 * 60)])
    assert add_working_minutes(s, at(UTC, 2024, 3, 4, 23), 120) == at(UTC, 2024, 3, 5, 21)
    # The full day 00:00-24:00: a plain clock.
    s = schedule(days=7, slots=[(0, 24 * 60)])
    start = at(UTC, 2024, 3, 4, 22, 30)
    assert add_working_minutes(s, start, 180) == at(UTC, 2024, 3, 5, 1, 30)


def test_berlin_spring_forward():
    # Clocks go 02:00 -> 03:00 on Sun 2024-03-31. Slot 00:00-06:00 every day: that night it
    # holds 5 real hours. Sun 00:00 (+01:00) + 300 min = 06:00 local (+02:00) = 04:00 UTC.
    s = schedule("Europe/Berlin", days=7, slots=[(0, 6 * 60)])
    start = at(BERLIN, 2024, 3, 31, 0)
    end = add_working_minutes(s, start, 300)
    assert end == at(BERLIN, 2024, 3, 31, 6)
    assert end.astimezone(UTC) == at(UTC, 2024, 3, 31, 4)
    assert working_minutes_between(s, start, end) == 300
    # One minute more goes to Monday 00:01.
    assert add_working_minutes(s, start, 301) == at(BERLIN, 2024, 4, 1, 0, 1)


def test_berlin_fall_back():
    # Clocks go 03:00 -> 02:00 on Sun 2024-10-27: the 00:00-06:00 slot holds 7 real hours.
    s = schedule("Europe/Berlin", days=7, slots=[(0, 6 * 60)])
    start = at(BERLIN, 2024, 10, 27, 0)
    assert working_minutes_between(s, start, at(BERLIN, 2024, 10, 27, 12)) == 420
    assert add_working_minutes(s, start, 420) == at(BERLIN, 2024, 10, 27, 6)


def test_business_hours_across_a_dst_weekend_in_berlin():
    # Fri 2024-03-29 16:00 CET (UTC 15:00) + 120 min on 08-12/13-17 (Good Friday is a
    # working day here): 60 Friday, Mon 2024-04-01 08:00 CEST + 60 -> 09:00 CEST = 07:00 UTC.
    s = schedule("Europe/Berlin")
    end = add_working_minutes(s, at(BERLIN, 2024, 3, 29, 16), 120)
    assert end == at(UTC, 2024, 4, 1, 7)


def test_new_york_spring_forward_and_fall_back():
    # 2024-03-10 02:00 -> 03:00 EST->EDT; 2024-11-03 02:00 -> 01:00 EDT->EST.
    s = schedule("America/New_York", days=7, slots=[(0, 4 * 60)])
    assert working_minutes_between(
        s, at(NEW_YORK, 2024, 3, 10, 0), at(NEW_YORK, 2024, 3, 10, 12)
    ) == (3 * 60)
    assert working_minutes_between(
        s, at(NEW_YORK, 2024, 11, 3, 0), at(NEW_YORK, 2024, 11, 3, 12)
    ) == (5 * 60)
    # Business hours: Fri 2024-03-08 16:00 EST (21:00 UTC) + 120 on 08-12/13-17 ->
    # Mon 2024-03-11 09:00 EDT = 13:00 UTC (the offset changed over the weekend).
    b = schedule("America/New_York")
    assert add_working_minutes(b, at(NEW_YORK, 2024, 3, 8, 16), 120) == at(UTC, 2024, 3, 11, 13)


# --- counting ----------------------------------------------------------------------------------


def test_it_counts_a_working_week():
    s = schedule()
    # Mon 00:00 to next Mon 00:00: 5 days x 480 = 2400.
    assert working_minutes_between(s, at(UTC, 2024, 3, 4), at(UTC, 2024, 3, 11)) == 2400


def test_it_counts_zero_backwards_and_outside_hours():
    s = schedule()
    assert working_minutes_between(s, at(UTC, 2024, 3, 5), at(UTC, 2024, 3, 4)) == 0
    assert working_minutes_between(s, at(UTC, 2024, 3, 9), at(UTC, 2024, 3, 10, 23)) == 0


def test_it_leaves_out_excluded_periods():
    s = schedule()
    # Mon 08:00-17:00 = 480, minus a pause 10:00-14:00 (120 before lunch + 60 after) = 300.
    pause = [(at(UTC, 2024, 3, 4, 10), at(UTC, 2024, 3, 4, 14))]
    day = (at(UTC, 2024, 3, 4, 8), at(UTC, 2024, 3, 4, 17))
    assert working_minutes_between(s, *day, exclude=pause) == 300
    # Adding 300 from 08:00 with that pause ends at 17:00.
    assert add_working_minutes(s, day[0], 300, exclude=pause) == day[1]
    assert working_periods(s, *day, exclude=pause) == [
        (at(UTC, 2024, 3, 4, 8), at(UTC, 2024, 3, 4, 10)),
        (at(UTC, 2024, 3, 4, 14), at(UTC, 2024, 3, 4, 17)),
    ]


def test_is_working_time():
    s = schedule()
    assert is_working_time(s, at(UTC, 2024, 3, 4, 8))
    assert not is_working_time(s, at(UTC, 2024, 3, 4, 12, 30))
    assert not is_working_time(s, at(UTC, 2024, 3, 4, 17))
    assert not is_working_time(s, at(UTC, 2024, 3, 9, 10))


# --- bad calendars -----------------------------------------------------------------------------


def test_an_empty_week_is_refused():
    with pytest.raises(CalendarError, match="no working hours"):
        schedule(days=0)


def test_overlapping_slots_and_unknown_zones_are_refused():
    with pytest.raises(CalendarError, match="overlapping"):
        schedule(slots=[(8 * 60, 12 * 60), (11 * 60, 14 * 60)])
    with pytest.raises(CalendarError, match="time zone"):
        schedule("Mars/Olympus_Mons")


def test_a_calendar_that_is_always_on_holiday_says_so():
    s = schedule(days=1, yearly=[(m, d) for m in range(1, 13) for d in range(1, 32)])
    with pytest.raises(CalendarError, match="no working time"):
        add_working_minutes(s, at(UTC, 2024, 3, 4), 1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_minutes(schedule(), dt.datetime(2024, 3, 4, 9), 1)  # noqa: DTZ001


# --- property ----------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Berlin", "America/New_York"]
CALENDARS = {
    (zone, kind): schedule(zone, **params, yearly=[(12, 25), (1, 1)], once=[dt.date(2024, 3, 29)])
    for zone in ZONES
    for kind, params in {
        "split": {},
        "night": {"days": 7, "slots": [(0, 3 * 60), (22 * 60, 24 * 60)]},
        "weekend": {"days": 7, "slots": [(9 * 60 + 30, 10 * 60 + 15)]},
    }.items()
}


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(sorted(CALENDARS)),
    start=st.datetimes(
        min_value=dt.datetime(2023, 1, 1),  # noqa: DTZ001 - hypothesis adds the zone
        max_value=dt.datetime(2026, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    minutes=st.integers(min_value=1, max_value=20_000),
)
def test_adding_then_counting_gives_the_same_minutes(key, start, minutes):
    s = CALENDARS[key]
    end = add_working_minutes(s, start, minutes)
    assert end > start
    assert working_seconds_between(s, start, end) == minutes * 60
    # The end is the earliest such instant: a second earlier counts less.
    assert working_seconds_between(s, start, end - dt.timedelta(seconds=1)) == minutes * 60 - 1


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(sorted(CALENDARS)),
    start=st.datetimes(
        min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2025, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    first=st.integers(min_value=1, max_value=5000),
    second=st.integers(min_value=1, max_value=5000),
)
def test_adding_in_two_steps_equals_adding_once(key, start, first, second):
    s = CALENDARS[key]
    once = add_working_seconds(s, start, (first + second) * 60)
    twice = add_working_seconds(s, add_working_seconds(s, start, first * 60), second * 60)
    assert once == twice
