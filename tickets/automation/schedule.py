"""A job's cron expression: checked, and kept as the daemon's editable beat schedule.

A job with a schedule that is switched on owns one ``django_celery_beat`` periodic task
(named ``GenericAgent: <job>``) running :func:`tickets.tasks.run_generic_agent_job` with the
job's id, on a crontab in the daemon's time zone; the task is removed when the job loses
its schedule, is switched off or deleted. Beat runs each due slot once.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.utils.translation import gettext as _

from ..models import GenericAgentJob

TASK = "tickets.tasks.run_generic_agent_job"
PREFIX = "GenericAgent: "
# A schedule that fires on no day of the next eight years (leap days included) never fires.
HORIZON_DAYS = 8 * 366


def _fields(expression: str) -> list[str]:
    return expression.split()


def cron_errors(expression: str) -> list[str]:
    """What is wrong with a cron expression (``minute hour day-of-month month
    day-of-week``), including one that can never fire (``0 0 31 2 *``)."""
    parts = _fields(expression)
    if len(parts) != 5:
        return [_("A schedule has five parts: minute hour day-of-month month day-of-week.")]
    names = (_("minute"), _("hour"), _("day of month"), _("month"), _("day of week"))
    minute, hour, day_of_month, month, day_of_week = parts
    try:
        schedule = crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except Exception:
        # Celery names the bad part in its message; say which of the five it was.
        for index, value in enumerate(parts):
            keyword = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")[index]
            try:
                crontab(**{keyword: value})
            except Exception:
                return [
                    _("The %(part)s part “%(value)s” is not valid.")
                    % {"part": names[index], "value": value}
                ]
        # Every part is valid alone: together they name no day (``31 2``: February 31st).
        return [_("The schedule “%(cron)s” never fires.") % {"cron": expression}]
    months: Any = schedule.month_of_year  # type: ignore[attr-defined]
    days: Any = schedule.day_of_month  # type: ignore[attr-defined]
    weekdays: Any = schedule.day_of_week  # type: ignore[attr-defined]
    day = date(2024, 1, 1)
    for _offset in range(HORIZON_DAYS):
        weekday = (day.weekday() + 1) % 7  # cron: 0 = Sunday
        if (
            day.month in months
            and day.day in days
            and weekday in weekdays
            and day.day <= calendar.monthrange(day.year, day.month)[1]
        ):
            return []
        day += timedelta(days=1)
    return [_("The schedule “%(cron)s” never fires.") % {"cron": expression}]


def sync(job: GenericAgentJob) -> None:
    """Make the job's periodic task match it (inside the caller's transaction)."""
    # Imported here: django_celery_beat's models load with the apps.
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    task = job.periodic_task
    if not (job.valid and job.schedule.strip()):
        if task is not None:
            job.periodic_task = None
            GenericAgentJob.objects.filter(pk=job.pk).update(periodic_task=None)
            task.delete()
        return
    minute, hour, day_of_month, month, day_of_week = _fields(job.schedule)
    cron, _created = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month,
        day_of_week=day_of_week,
        timezone=settings.TIME_ZONE,
    )
    name = f"{PREFIX}{job.name}"[:200]
    if task is None:
        task = PeriodicTask(task=TASK)
    task.name = name
    task.crontab = cron
    task.interval = None
    task.kwargs = f'{{"job_id": {job.pk}}}'
    task.enabled = True
    task.description = _("Runs the GenericAgent job “%(name)s”.") % {"name": job.name}
    task.save()
    if job.periodic_task_id != task.pk:
        job.periodic_task = task
        GenericAgentJob.objects.filter(pk=job.pk).update(periodic_task=task)
