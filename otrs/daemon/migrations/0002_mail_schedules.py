"""The email channel's recurring jobs (OTRS MailQueueSend, MailAccountFetch,
SpoolMailsReprocess) and the unlock timeout whose notification they deliver."""

from django.db import migrations

from otrs.daemon.schedules import Default, create, delete

DEFAULTS = [
    Default(
        name="Outgoing mail queue",
        task="otrs.mail.tasks.send_outgoing_mail",
        every_minutes=1,
        description="Sends queued mail whose next attempt is due (OTRS: MailQueueSend, every "
        "minute). New mail is also sent right after the change that made it.",
    ),
    Default(
        name="Mail account fetch",
        task="otrs.mail.tasks.fetch_mail_accounts",
        every_minutes=1,
        description="Fetches every valid mail account whose own interval has passed (OTRS: "
        "MailAccountFetch). Set each account's interval in its admin page.",
    ),
    Default(
        name="Quarantined mail reprocess",
        task="otrs.mail.tasks.reprocess_quarantine",
        crontab=("10", "0"),
        description="Processes quarantined inbound mail again, once a day at 00:10 (OTRS: "
        "SpoolMailsReprocess).",
    ),
    Default(
        name="Ticket unlock timeout",
        task="tickets.tasks.unlock_timed_out_tickets",
        crontab=("35", "*"),
        description="Unlocks new and open tickets nobody worked on for their queue's unlock "
        "timeout, hourly at :35 (OTRS: UnlockTimeout); the owner is notified.",
    ),
]


def forwards(apps, schema_editor):
    create(apps, DEFAULTS)


def backwards(apps, schema_editor):
    delete(apps, DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [
        ("daemon", "0001_default_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
