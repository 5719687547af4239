"""Finding a calendar by the reference a queue or SLA holds (its id; None: the default
calendar), or by name (commands and older callers)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .models import DEFAULT_CALENDAR_NAME, Calendar
from .worktime import CalendarError, Schedule


def load_schedule(key: int | str | None) -> Schedule:
    """The schedule of the valid calendar with this id (or name), or the default calendar's
    for None or an empty name; :class:`CalendarError` (a message for people) when there is
    none or it is broken."""
    calendars = Calendar.objects.prefetch_related("slots", "holidays")
    if key:
        lookup = {"pk": key} if isinstance(key, int) else {"name": key}
        calendar = calendars.filter(**lookup, is_valid=True).first()
        if calendar is None:
            name = Calendar.objects.filter(**lookup).values_list("name", flat=True).first()
            raise CalendarError(
                _("The calendar “%(name)s” does not exist or is invalid.") % {"name": name or key}
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
    """Schedules by calendar id (or name), each loaded once (for one batch of work); a
    broken calendar's error is remembered too."""

    def __init__(self) -> None:
        self._found: dict[int | str | None, Schedule | CalendarError] = {}

    def get(self, key: int | str | None) -> Schedule:
        key = key or None
        if key not in self._found:
            try:
                self._found[key] = load_schedule(key)
            except CalendarError as error:
                self._found[key] = error
        found = self._found[key]
        if isinstance(found, CalendarError):
            raise found
        return found
