"""Finding a calendar by the name a queue or SLA gives (empty: the default calendar)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import DEFAULT_CALENDAR_NAME, Calendar
from .worktime import CalendarError, Schedule


def load_schedule(name: str) -> Schedule:
    """The named valid calendar's schedule, or the default calendar's for an empty name;
    :class:`CalendarError` (a message for people) when there is none or it is broken."""
    calendars = Calendar.objects.prefetch_related("slots", "holidays")
    if name:
        calendar = calendars.filter(name=name, is_valid=True).first()
        if calendar is None:
            raise CalendarError(
                _("The calendar “%(name)s” does not exist or is invalid.") % {"name": name}
            )
    else:
        calendar = (
            calendars.filter(is_default=True, is_valid=True).first()
            or calendars.filter(name=DEFAULT_CALENDAR_NAME, is_valid=True).first()
        )
        if calendar is None:
            raise CalendarError(_("There is no valid default calendar."))
    return calendar.schedule()


class Schedules:
    """Schedules by calendar name, each loaded once (for one batch of work); a broken
    calendar's error is remembered too."""

    def __init__(self) -> None:
        self._found: dict[str, Schedule | CalendarError] = {}

    def get(self, name: str) -> Schedule:
        if name not in self._found:
            try:
                self._found[name] = load_schedule(name)
            except CalendarError as error:
                self._found[name] = error
        found = self._found[name]
        if isinstance(found, CalendarError):
            raise found
        return found
