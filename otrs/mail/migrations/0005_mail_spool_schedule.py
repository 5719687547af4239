"""The daemon stores what otrs-postmaster spooled every five seconds (manage.py lmtpd, when
it runs, every second as well). Created only if no task of that name exists yet."""

from django.db import migrations
from django.utils import timezone

NAME = "Mail spool intake"
TASK = "otrs.mail.tasks.drain_mail_spool"
EVERY_SECONDS = 5


def forwards(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    interval = IntervalSchedule.objects.filter(
        every=EVERY_SECONDS, period="seconds"
    ).order_by("pk").first() or IntervalSchedule.objects.create(
        every=EVERY_SECONDS, period="seconds"
    )
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=interval,
        # A run that waited longer than its period is pointless: the next one is queued.
        expire_seconds=EVERY_SECONDS,
        description="Stores the mail that otrs-postmaster (the fast MTA pipe) left in the mail "
        "spool (MAIL_SPOOL_DIR), every five seconds.",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def backwards(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=NAME, task=TASK
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0004_mailaccount_oauth2_and_health"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
