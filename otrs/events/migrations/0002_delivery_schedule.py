"""The sweep that delivers batches whose task was lost and retries that are due."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Event delivery",
        task="otrs.events.tasks.deliver_due_events",
        every_minutes=1,
        description="Delivers committed events whose delivery never started (a worker that "
        "died right after the commit) and retries failed deliveries that are due. New events "
        "are also delivered right after the change that recorded them.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
