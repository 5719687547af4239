"""FAQ items whose "needs review after" date has passed are announced once a day (issue 12):
the event reaches the item's editors."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="FAQ reviews due",
        task="faq.tasks.announce_reviews_due",
        crontab=("10", "6"),
        description="Announces FAQ items whose review date has passed (once per date) to "
        "their editors.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0007_scheduled_reports")]

    operations = [migrations.RunPython(forwards, backwards)]
