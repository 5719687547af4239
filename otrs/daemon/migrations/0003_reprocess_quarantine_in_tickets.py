"""Reprocessing quarantined inbound mail is the ticket e-mail channel's job now: its task moved
from ``otrs.mail.tasks`` to ``tickets.tasks``; the schedule keeps its timing and state."""

from django.db import migrations

OLD = "otrs.mail.tasks.reprocess_quarantine"
NEW = "tickets.tasks.reprocess_quarantine"


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=OLD).update(task=NEW)


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=NEW).update(task=OLD)


class Migration(migrations.Migration):
    dependencies = [("daemon", "0002_mail_schedules")]

    operations = [migrations.RunPython(forwards, backwards)]
