from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Delete read in-app notifications",
        task="tickets.tasks.cleanup_web_notifications",
        crontab=("50", "3"),
        description="Deletes the agents' in-app notifications read more than 30 days ago.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("daemon", "0011_fold_ticket_counts"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
