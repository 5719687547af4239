"""The escalation run (OTRS EscalationCheck, every 5 minutes) and the pending check (OTRS
PendingCheck; every minute here instead of every two hours, so a pending time is acted on
within a minute)."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Ticket escalation check",
        task="tickets.tasks.check_escalations",
        every_minutes=5,
        description="Escalation and escalation-warning events and notifications for tickets "
        "due within five days, only in their calendar's working time (OTRS: EscalationCheck).",
    ),
    Default(
        name="Ticket pending check",
        task="tickets.tasks.check_pending",
        every_minutes=1,
        description="Pending auto states change to their state after pending at their time; "
        "pending reminders notify once a day in working time (OTRS: PendingCheck).",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("daemon", "0003_reprocess_quarantine_in_tickets"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
