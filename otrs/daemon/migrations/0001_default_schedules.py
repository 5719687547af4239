"""Default beat schedules (OTRS's cron tasks, spec section 14), as django-celery-beat rows.

Each default is created only if no task of that name exists yet, so running this again, or on
a database where an administrator has already edited, paused or re-timed a task, changes
nothing. Later defaults get migrations of their own in this app.
"""

from django.db import migrations
from django.utils import timezone

# (name, task, every n minutes, description)
DEFAULTS = [
    (
        "Ticket number counter cleanup",
        "tickets.tasks.cleanup_ticket_number_counters",
        10,
        "Deletes the ticket number counters of days before yesterday "
        "(OTRS: TicketNumberCounterCleanup, every 10 minutes).",
    ),
]


def create_schedules(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    created = False
    for name, task, minutes, description in DEFAULTS:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        # Reuse an existing interval row: the admin may already hold one (even duplicates).
        intervals = IntervalSchedule.objects.filter(every=minutes, period="minutes")
        interval = intervals.order_by("pk").first()
        if interval is None:
            interval = IntervalSchedule.objects.create(every=minutes, period="minutes")
        PeriodicTask.objects.create(
            name=name,
            task=task,
            interval=interval,
            description=description,
            # A run that waited longer than its own period is pointless (the next one is
            # already queued), so workers drop it instead of working through a backlog
            # after an outage.
            expire_seconds=minutes * 60,
        )
        created = True

    if created:
        # Historical models send no signals, so tell a running beat by hand that the
        # schedule changed (this is what PeriodicTask.save() does through PeriodicTasks).
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, _minutes, _description in DEFAULTS:
        # Intervals are left alone: other tasks may share them.
        PeriodicTask.objects.filter(name=name, task=task).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, delete_schedules)]
