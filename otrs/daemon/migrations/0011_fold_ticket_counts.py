from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Fold ticket count changes",
        task="tickets.tasks.fold_ticket_counts",
        every_minutes=1,
        description="Moves the changes the ticket actions recorded into the maintained queue "
        "counts (manage.py ticket_counts --fold does the same).",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("daemon", "0010_unconfirmed_devices_cleanup"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
