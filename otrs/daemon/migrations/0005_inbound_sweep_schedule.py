"""The inbound sweep: mail a crash left ``received`` or ``processing`` is processed within
minutes (once its claim ran out), not only by the daily reprocess."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Inbound mail sweep",
        task="tickets.tasks.sweep_inbound_mail",
        every_minutes=5,
        description="Processes stored inbound mail that a crashed worker left unprocessed, "
        "once its claim (POSTMASTER_CLAIM_SECONDS) has run out.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0004_escalation_and_pending_schedules")]

    operations = [migrations.RunPython(forwards, backwards)]
