"""Creating default beat schedules from data migrations (spec section 14's cron table).

A default is created only if no task of that name exists yet, so a migration that runs again,
or on a database where an administrator has already edited, paused or re-timed a task,
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class Default:
    name: str
    task: str
    description: str
    every_minutes: int | None = None
    # A crontab (minute, hour) in the daemon's time zone, instead of an interval.
    crontab: tuple[str, str] | None = None


def create(apps, defaults: list[Default]) -> None:
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    created = False
    for default in defaults:
        if PeriodicTask.objects.filter(name=default.name).exists():
            continue
        extra = {}
        if default.crontab is not None:
            minute, hour = default.crontab
            found = CrontabSchedule.objects.filter(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*"
            )
            extra["crontab"] = found.order_by("pk").first() or CrontabSchedule.objects.create(
                minute=minute, hour=hour, day_of_week="*", day_of_month="*", month_of_year="*"
            )
        else:
            minutes = default.every_minutes
            assert minutes is not None, f"{default.name}: neither crontab nor every_minutes"
            # Reuse an interval row: the admin may already hold one (even duplicates).
            found = IntervalSchedule.objects.filter(every=minutes, period="minutes")
            extra["interval"] = found.order_by("pk").first() or IntervalSchedule.objects.create(
                every=minutes, period="minutes"
            )
            # A run that waited longer than its own period is pointless (the next one is
            # already queued), so workers drop it instead of working through a backlog.
            extra["expire_seconds"] = minutes * 60
        PeriodicTask.objects.create(
            name=default.name, task=default.task, description=default.description, **extra
        )
        created = True

    if created:
        # Historical models send no signals, so tell a running beat by hand that the
        # schedule changed (this is what PeriodicTask.save() does through PeriodicTasks).
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete(apps, defaults: list[Default]) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for default in defaults:
        # Schedules are left alone: other tasks may share them.
        PeriodicTask.objects.filter(name=default.name, task=default.task).delete()
