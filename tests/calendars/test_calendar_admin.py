"""Business calendars in the admin: inline working hours and holidays, refused bad input with
the field named, the default calendar, and the two holiday imports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from otrs.accounts.models import User, UserKind
from otrs.calendars.lookup import load_schedule
from otrs.calendars.models import Calendar, Holiday, WorkingSlot
from otrs.calendars.worktime import CalendarError, add_working_minutes


@pytest.fixture
def admin_client_(client, db):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def _form(name="Berlin office", zone="Europe/Berlin", slots=(), holidays=(), **extra):
    data = {
        "name": name,
        "time_zone": zone,
        "comment": "",
        "is_valid": "on",
        "slots-TOTAL_FORMS": str(len(slots)),
        "slots-INITIAL_FORMS": "0",
        "slots-MIN_NUM_FORMS": "0",
        "slots-MAX_NUM_FORMS": "1000",
        "holidays-TOTAL_FORMS": str(len(holidays)),
        "holidays-INITIAL_FORMS": "0",
        "holidays-MIN_NUM_FORMS": "0",
        "holidays-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, (weekday, start, end) in enumerate(slots):
        data |= {f"slots-{i}-weekday": weekday, f"slots-{i}-start": start, f"slots-{i}-end": end}
    for i, (date, yearly, name_) in enumerate(holidays):
        data |= {f"holidays-{i}-date": date, f"holidays-{i}-name": name_}
        if yearly:
            data[f"holidays-{i}-yearly"] = "on"
    return data


def test_the_default_calendar_of_spec_section_6_exists(db):
    schedule = load_schedule("")
    assert schedule.name == "Default"
    assert schedule.zone.key == "UTC"
    assert schedule.slots[0] == ((8 * 60, 21 * 60),)
    assert schedule.slots[5] == schedule.slots[6] == ()
    assert schedule.yearly == {(1, 1), (5, 1), (12, 24), (12, 25), (12, 26), (12, 31)}
    # Thu 2026-12-24 and Fri 12-25 are holidays: Wed 20:00 + 120 -> Mon 12-28 09:00.
    start = dt.datetime(2026, 12, 23, 20, tzinfo=dt.UTC)
    assert add_working_minutes(schedule, start, 120) == dt.datetime(2026, 12, 28, 9, tzinfo=dt.UTC)


def test_it_creates_a_calendar_with_slots_and_holidays(admin_client_):
    response = admin_client_.post(
        reverse("admin:calendars_calendar_add"),
        _form(
            slots=[(0, "08:00", "12:00"), (0, "13:00", "17:00"), (4, "08:00", "00:00")],
            holidays=[("2024-12-25", True, "Christmas"), ("2024-03-29", False, "Good Friday")],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = Calendar.objects.get(name="Berlin office")
    schedule = calendar.schedule()
    assert schedule.slots[0] == ((480, 720), (780, 1020))
    assert schedule.slots[4] == ((480, 1440),)
    assert schedule.yearly == {(12, 25)}
    assert schedule.once == {dt.date(2024, 3, 29)}
    assert load_schedule("Berlin office") == schedule


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slots": [(0, "08:00", "12:00"), (0, "11:00", "14:00")]}, "overlaps"),
        ({"slots": []}, "at least one working slot"),
        ({"slots": [(0, "12:00", "08:00")]}, "The end must be after the start"),
        ({"zone": "Europe/Nowhere"}, "not a known time zone"),
        (
            {"slots": [(0, "08:00", "12:00")], "holidays": [("25.12.", True, "x")]},
            "Enter a valid date",
        ),
    ],
)
def test_it_refuses_bad_calendars_naming_the_field(admin_client_, changes, message):
    data = _form(**{"slots": [(0, "08:00", "12:00")], **changes})
    response = admin_client_.post(reverse("admin:calendars_calendar_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Calendar.objects.filter(name="Berlin office").exists()


def test_an_unknown_or_invalid_calendar_is_an_error_not_a_guess(db):
    with pytest.raises(CalendarError, match="does not exist"):
        load_schedule("Nowhere")
    Calendar.objects.filter(name="Default").update(is_valid=False)
    with pytest.raises(CalendarError, match="default calendar"):
        load_schedule("")


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//EN
BEGIN:VEVENT
UID:1@test
DTSTART;VALUE=DATE:20250101
DTEND;VALUE=DATE:20250102
RRULE:FREQ=YEARLY
SUMMARY:New Year
END:VEVENT
BEGIN:VEVENT
UID:2@test
DTSTART;VALUE=DATE:20250418
DTEND;VALUE=DATE:20250422
SUMMARY:Easter break
END:VEVENT
END:VCALENDAR
"""


def _calendar():
    calendar = Calendar.objects.create(name="Imports", time_zone="Europe/Berlin")
    WorkingSlot.objects.create(calendar=calendar, weekday=0, start=dt.time(8), end=dt.time(17))
    return calendar


def test_it_imports_holidays_from_an_icalendar_file(admin_client_):
    calendar = _calendar()
    url = reverse("admin:calendars_calendar_import_ics", args=[calendar.pk])
    assert admin_client_.get(url).status_code == 200
    upload = SimpleUploadedFile("h.ics", ICS, content_type="text/calendar")
    response = admin_client_.post(url, {"file": upload})
    assert response.status_code == 302
    holidays = sorted(calendar.holidays.values_list("date", "yearly", "name"))
    assert holidays == [
        (dt.date(2025, 1, 1), True, "New Year"),
        (dt.date(2025, 4, 18), False, "Easter break"),
        (dt.date(2025, 4, 19), False, "Easter break"),
        (dt.date(2025, 4, 20), False, "Easter break"),
        (dt.date(2025, 4, 21), False, "Easter break"),
    ]
    # Importing again adds nothing.
    upload = SimpleUploadedFile("h.ics", ICS, content_type="text/calendar")
    admin_client_.post(url, {"file": upload})
    assert calendar.holidays.count() == 5


def test_a_file_that_is_no_calendar_is_refused_on_the_file_field(admin_client_):
    calendar = _calendar()
    url = reverse("admin:calendars_calendar_import_ics", args=[calendar.pk])
    upload = SimpleUploadedFile("h.ics", b"not a calendar", content_type="text/calendar")
    response = admin_client_.post(url, {"file": upload})
    assert response.status_code == 200
    assert "This is not an iCalendar file" in response.content.decode()
    assert not Holiday.objects.filter(calendar=calendar).exists()


def test_it_imports_the_public_holidays_of_a_country_and_region(admin_client_):
    calendar = _calendar()
    url = reverse("admin:calendars_calendar_import_country", args=[calendar.pk])
    response = admin_client_.post(
        url, {"country": "DE", "region": "BY", "first_year": "2025", "last_year": "2025"}
    )
    assert response.status_code == 302
    days = set(calendar.holidays.values_list("date", flat=True))
    # Epiphany is a holiday in Bavaria, Good Friday and German Unity Day everywhere.
    assert {dt.date(2025, 1, 6), dt.date(2025, 4, 18), dt.date(2025, 10, 3)} <= days
    assert not calendar.holidays.filter(yearly=True).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"country": "XX", "region": ""}, "is not a known country code"),
        ({"country": "DE", "region": "ZZ"}, "is not a region of DE"),
    ],
)
def test_a_bad_country_or_region_is_refused_naming_it(admin_client_, data, message):
    calendar = _calendar()
    url = reverse("admin:calendars_calendar_import_country", args=[calendar.pk])
    response = admin_client_.post(url, {**data, "first_year": "2025", "last_year": "2025"})
    assert response.status_code == 200
    assert message in response.content.decode()
