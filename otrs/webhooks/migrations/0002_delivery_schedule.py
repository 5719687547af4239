"""The sweep that retries webhook deliveries when they are due."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Webhook delivery",
        task="otrs.webhooks.tasks.send_due_webhooks",
        every_minutes=1,
        description="Sends webhook deliveries whose retry is due, and those whose sender "
        "died. New deliveries are also sent right after the change that caused them.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
