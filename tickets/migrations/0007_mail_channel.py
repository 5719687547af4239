"""The ticket e-mail channel moves below the ticket domain's roof (issue 9, item 4).

- The inbound store and the postmaster filters were models of the mail transport
  (``otrs.mail``); they are the ticket channel's now. Only Django's state moves: the tables
  keep their names (``mail_inboundmessage``, ``mail_postmasterfilter``, ``mail_filtermatch``,
  ``mail_filterset``) and their rows. Their content types move along, so permissions and
  admin log entries stay attached.
- A mail account's dispatching (into its queue or by recipient) moves from
  ``mail_mailaccount.dispatch``/``queue_id`` into ``MailAccountDispatch``; the ticket and
  article of a queued mail from ``mail_outboundmessage.ticket_id``/``article_id`` into
  ``MailDelivery``. The rows are copied here; ``mail.0003`` drops the old columns afterwards.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["inboundmessage", "postmasterfilter", "filtermatch", "filterset"]
BATCH = 1000


def copy_links(apps, schema_editor):
    MailAccount = apps.get_model("mail", "MailAccount")
    OutboundMessage = apps.get_model("mail", "OutboundMessage")
    MailAccountDispatch = apps.get_model("tickets", "MailAccountDispatch")
    MailDelivery = apps.get_model("tickets", "MailDelivery")
    MailAccountDispatch.objects.bulk_create(
        MailAccountDispatch(account_id=pk, dispatch=dispatch, queue_id=queue_id)
        for pk, dispatch, queue_id in MailAccount.objects.values_list("pk", "dispatch", "queue_id")
    )
    rows = OutboundMessage.objects.filter(ticket_id__isnull=False).order_by("pk")
    last = 0
    while True:
        batch = list(
            rows.filter(pk__gt=last).values_list("pk", "ticket_id", "article_id")[:BATCH]
        )
        if not batch:
            break
        MailDelivery.objects.bulk_create(
            MailDelivery(message_id=pk, ticket_id=ticket_id, article_id=article_id)
            for pk, ticket_id, article_id in batch
        )
        last = batch[-1][0]


def copy_links_back(apps, schema_editor):
    MailAccount = apps.get_model("mail", "MailAccount")
    OutboundMessage = apps.get_model("mail", "OutboundMessage")
    MailAccountDispatch = apps.get_model("tickets", "MailAccountDispatch")
    MailDelivery = apps.get_model("tickets", "MailDelivery")
    for row in MailAccountDispatch.objects.all():
        MailAccount.objects.filter(pk=row.account_id).update(
            dispatch=row.dispatch, queue_id=row.queue_id
        )
    for row in MailDelivery.objects.all().iterator():
        OutboundMessage.objects.filter(pk=row.message_id).update(
            ticket_id=row.ticket_id, article_id=row.article_id
        )


def move_content_types(apps, schema_editor, source="mail", target="tickets"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="tickets", target="mail")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("mail", "0002_outbound_idempotency_key"),
        ("tickets", "0006_customer_user_ci_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PostmasterFilter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                        ('stop', models.BooleanField(default=False, help_text='Later filters do not run.', verbose_name='stop after match')),
                        ('is_valid', models.BooleanField(default=True, verbose_name='valid')),
                        ('comment', models.CharField(blank=True, max_length=250, verbose_name='comment')),
                    ],
                    options={
                        'verbose_name': 'postmaster filter',
                        'verbose_name_plural': 'postmaster filters',
                        'db_table': 'mail_postmasterfilter',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='FilterMatch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('header', models.CharField(help_text='For example From, Subject or X-Spam-Flag.', max_length=200, verbose_name='header')),
                        ('pattern', models.CharField(help_text='Case-insensitive; EMAILADDRESS:<expression> tests each address.', max_length=1000, verbose_name='regular expression')),
                        ('negate', models.BooleanField(default=False, verbose_name='must not match')),
                        ('filter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='matches', to='tickets.postmasterfilter')),
                    ],
                    options={
                        'verbose_name': 'match rule',
                        'verbose_name_plural': 'match rules',
                        'db_table': 'mail_filtermatch',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='FilterSet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('header', models.CharField(help_text='An X-OTRS-* header, such as X-OTRS-Queue.', max_length=200, verbose_name='header')),
                        ('value', models.CharField(help_text='[***] is the first group of the last match; [** \\name **] a named group.', max_length=1000, verbose_name='value')),
                        ('filter', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sets', to='tickets.postmasterfilter')),
                    ],
                    options={
                        'verbose_name': 'set rule',
                        'verbose_name_plural': 'set rules',
                        'db_table': 'mail_filterset',
                        'ordering': ['id'],
                    },
                ),
                migrations.CreateModel(
                    name='InboundMessage',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('raw', models.BinaryField(verbose_name='raw message')),
                        ('size', models.PositiveBigIntegerField(verbose_name='size')),
                        ('sha256', models.CharField(db_index=True, max_length=64)),
                        ('message_id', models.TextField(blank=True, verbose_name='message id')),
                        ('subject', models.CharField(blank=True, max_length=1000, verbose_name='subject')),
                        ('from_address', models.TextField(blank=True, verbose_name='from')),
                        ('source', models.CharField(choices=[('pipe', 'MTA pipe'), ('account', 'mail account'), ('upload', 'uploaded by an administrator')], max_length=10, verbose_name='source')),
                        ('trusted', models.BooleanField(default=False, verbose_name='trusted')),
                        ('status', models.CharField(choices=[('received', 'received, not processed yet'), ('processed', 'processed'), ('ignored', 'ignored by a filter'), ('quarantined', 'quarantined')], default='received', max_length=12, verbose_name='status')),
                        ('outcome', models.CharField(blank=True, choices=[('new_ticket', 'new ticket'), ('follow_up', 'follow-up'), ('rejected', 'follow-up rejected (stored on the closed ticket)'), ('new_ticket_for_closed', 'new ticket for a closed one'), ('bounce', 'bounce of our mail'), ('ignored', 'ignored'), ('duplicate', 'already stored')], max_length=24, verbose_name='outcome')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                        ('received_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='received')),
                        ('processed_at', models.DateTimeField(blank=True, null=True, verbose_name='processed')),
                        ('account', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='mail.mailaccount', verbose_name='mail account')),
                        ('article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.article', verbose_name='article')),
                        ('forced_queue', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.queue', verbose_name='forced queue')),
                        ('ticket', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tickets.ticket', verbose_name='ticket')),
                    ],
                    options={
                        'verbose_name': 'inbound message',
                        'verbose_name_plural': 'inbound messages',
                        'db_table': 'mail_inboundmessage',
                        'ordering': ['-received_at', '-id'],
                        'indexes': [models.Index(fields=['status', 'received_at'], name='inbound_status')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name='MailAccountDispatch',
            fields=[
                ('account', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='dispatching', serialize=False, to='mail.mailaccount', verbose_name='mail account')),
                ('dispatch', models.CharField(choices=[('queue', "into the account's queue"), ('recipient', 'by recipient (system addresses)')], default='recipient', max_length=20, verbose_name='dispatching')),
                ('queue', models.ForeignKey(blank=True, help_text="Required when dispatching into the account's queue.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tickets.queue', verbose_name='queue')),
            ],
            options={
                'verbose_name': 'dispatching',
                'verbose_name_plural': 'dispatching',
            },
        ),
        migrations.CreateModel(
            name='MailDelivery',
            fields=[
                ('message', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='ticket_delivery', serialize=False, to='mail.outboundmessage', verbose_name='outgoing message')),
                ('article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='tickets.article', verbose_name='article')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='mail_deliveries', to='tickets.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'mail delivery',
                'verbose_name_plural': 'mail deliveries',
            },
        ),
        migrations.RunPython(copy_links, copy_links_back),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
