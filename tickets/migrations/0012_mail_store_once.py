"""The mail store (issue 10, part 3 and 4): outgoing mail stored once, a queued message
whose bytes are its article's raw source refers to that RawMail (``raw_blob_id``) and keeps no
copy of its own; and RawMail.created_at, the orphan sweep's grace period (existing rows get
the time of the migration: the sweep considers them a grace period later); and the envelope
recipients (LMTP's RCPT TO) of an inbound message."""

import hashlib

import django.utils.timezone
from django.db import migrations, models

BATCH = 500


def share(apps, schema_editor):
    MailDelivery = apps.get_model("tickets", "MailDelivery")
    ArticleRaw = apps.get_model("tickets", "ArticleRaw")
    OutboundMessage = apps.get_model("mail", "OutboundMessage")
    last = 0
    while True:
        links = list(
            MailDelivery.objects.filter(message_id__gt=last, article__isnull=False)
            .order_by("message_id")
            .values_list("message_id", "article_id")[:BATCH]
        )
        if not links:
            return
        last = links[-1][0]
        blobs = dict(
            ArticleRaw.objects.filter(article_id__in=[a for _m, a in links]).values_list(
                "article_id", "blob_id"
            )
        )
        shas = dict(
            apps.get_model("tickets", "RawMail")
            .objects.filter(pk__in=blobs.values())
            .values_list("pk", "sha256")
        )
        for message in OutboundMessage.objects.filter(
            pk__in=[m for m, _a in links], raw_blob_id__isnull=True
        ).only("pk", "raw"):
            article_id = dict(links)[message.pk]
            blob_id = blobs.get(article_id)
            raw = bytes(message.raw)
            # Only the very same bytes: a message whose source differs keeps its own copy.
            if blob_id is None or not raw or hashlib.sha256(raw).hexdigest() != shas[blob_id]:
                continue
            OutboundMessage.objects.filter(pk=message.pk).update(raw=b"", raw_blob_id=blob_id)


def unshare(apps, schema_editor):
    # The bytes back into each queued row (a RawMail is compressed, with pieces in files).
    from tickets.models.mail import unpack

    OutboundMessage = apps.get_model("mail", "OutboundMessage")
    RawMail = apps.get_model("tickets", "RawMail")
    for message in OutboundMessage.objects.filter(raw_blob_id__isnull=False).only("pk"):
        blob = RawMail.objects.get(pk=message.raw_blob_id)
        raw = unpack(blob.codec, bytes(blob.data), blob.pieces)
        OutboundMessage.objects.filter(pk=message.pk).update(raw=raw, raw_blob_id=None)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_raw_mail_store_finish"),
        ("mail", "0007_outbound_raw_shared"),
    ]

    operations = [
        migrations.AddField(
            model_name="rawmail",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RunPython(share, unshare),
        migrations.AddField(
            model_name="inboundmessage",
            name="envelope_recipients",
            field=models.JSONField(
                blank=True, default=list, verbose_name="envelope recipients"
            ),
        ),
    ]
