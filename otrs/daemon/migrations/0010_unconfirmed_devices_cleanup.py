"""Unconfirmed authenticator devices, left by the two-factor enrolment page of earlier
releases (it made a device with a key on every visit), are removed once a day when older
than a day."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Unconfirmed authenticator cleanup",
        task="otrs.accounts.tasks.remove_unconfirmed_devices",
        crontab=("50", "3"),
        description="Removes two-factor authenticator devices that were never confirmed and "
        "are older than a day.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0009_heartbeat")]

    operations = [migrations.RunPython(forwards, backwards)]
