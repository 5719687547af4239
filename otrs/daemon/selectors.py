"""The daemon's recurring jobs as an administrator reads them: Celery beat's rows with the
schedule in words, not its interval, crontab, solar and clocked tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_celery_beat.models import PeriodicTask

_INTERVALS = {
    "days": lambda n: ngettext("every day", "every %(n)d days", n),
    "hours": lambda n: ngettext("every hour", "every %(n)d hours", n),
    "minutes": lambda n: ngettext("every minute", "every %(n)d minutes", n),
    "seconds": lambda n: ngettext("every second", "every %(n)d seconds", n),
    "microseconds": lambda n: ngettext("every microsecond", "every %(n)d microseconds", n),
}


@dataclass(frozen=True)
class Job:
    pk: int
    name: str
    description: str
    schedule: str
    enabled: bool
    last_run_at: datetime | None
    total_run_count: int


def jobs() -> list[Job]:
    tasks = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
    return [
        Job(
            task.pk,
            task.name,
            task.description,
            schedule_in_words(task),
            task.enabled,
            task.last_run_at,
            task.total_run_count,
        )
        for task in tasks.order_by("name")
    ]


def schedule_in_words(task: PeriodicTask) -> str:
    if task.interval is not None:
        every, period = task.interval.every, task.interval.period
        return _INTERVALS[period](every) % {"n": every}
    if task.crontab is not None:
        return crontab_in_words(task.crontab)
    if task.clocked is not None:
        when = task.clocked.clocked_time.isoformat(" ", "minutes")
        return _("once, at %(when)s") % {"when": when}
    if task.solar is not None:
        return _("at the solar event “%(event)s”") % {"event": task.solar.get_event_display()}
    return _("no schedule")


def crontab_in_words(crontab) -> str:
    minute, hour = crontab.minute, crontab.hour
    rest = (crontab.day_of_week, crontab.day_of_month, crontab.month_of_year)
    if rest == ("*", "*", "*") and minute.isdigit():
        if hour.isdigit():
            return _("daily at %(time)s") % {"time": f"{int(hour):02d}:{int(minute):02d}"}
        if hour == "*":
            return _("every hour at minute %(minute)s") % {"minute": minute}
    fields = f"{minute} {hour} {crontab.day_of_month} {crontab.month_of_year} {crontab.day_of_week}"
    return _("at the times of the crontab “%(fields)s” (%(zone)s)") % {
        "fields": fields,
        "zone": crontab.timezone,
    }
