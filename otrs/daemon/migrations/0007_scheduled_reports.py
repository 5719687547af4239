"""Scheduled reports are mailed by the daemon (issue 14): the run looks for due schedules
every 15 minutes."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Scheduled reports",
        task="tickets.tasks.send_scheduled_reports",
        every_minutes=15,
        description="Mails the scheduled reports that are due, as CSV, to their recipients.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0006_mail_store_sweep_schedule")]

    operations = [migrations.RunPython(forwards, backwards)]
