"""The mail-store sweep: raw mails and content-addressed files nothing refers to are removed
once a day (older than MAIL_STORE_ORPHAN_GRACE_HOURS)."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Mail store orphan sweep",
        task="tickets.tasks.sweep_mail_store",
        crontab=("40", "3"),
        description="Removes raw mails and cas/ files that no inbound message, article or "
        "outgoing message refers to, once older than MAIL_STORE_ORPHAN_GRACE_HOURS.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0005_inbound_sweep_schedule")]

    operations = [migrations.RunPython(forwards, backwards)]
