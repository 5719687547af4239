# Moves the bytes of attachments kept in the database (``db_content``) into content-addressed
# blob rows: the same bytes in several attachments become one row. One attachment at a time
# (its bytes alone in memory); run again after an interruption, it goes on with the rest.

import hashlib
import zlib

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    # Inside: a migration module must not import the models at load time; the function is
    # the live compression rule (the same one new blobs get) and touches no model.
    from tickets.models.mail import compress_blob

    Attachment = apps.get_model("tickets", "Attachment")
    ContentBlob = apps.get_model("tickets", "ContentBlob")
    pending = Attachment.objects.filter(db_content__isnull=False, blob__isnull=True)
    last = 0
    while True:
        ids = list(pending.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:200])
        if not ids:
            return
        for pk in ids:
            content = bytes(Attachment.objects.filter(pk=pk).values_list("db_content", flat=True)[0])
            sha = hashlib.sha256(content).hexdigest()
            if not ContentBlob.objects.filter(pk=sha).exists():
                compressed, data = compress_blob(content)
                ContentBlob.objects.create(
                    sha256=sha,
                    size=len(content),
                    compressed=compressed,
                    data=data,
                    used_at=timezone.now(),
                )
            Attachment.objects.filter(pk=pk).update(blob_id=sha, db_content=None, size=len(content))
        last = ids[-1]


def backwards(apps, schema_editor):
    # Blob rows stay (raw mail pieces may use them); reversing 0021 drops the table.
    Attachment = apps.get_model("tickets", "Attachment")
    ContentBlob = apps.get_model("tickets", "ContentBlob")
    for pk, sha in (
        Attachment.objects.filter(blob__isnull=False).values_list("pk", "blob_id").iterator()
    ):
        compressed, data = ContentBlob.objects.filter(pk=sha).values_list("compressed", "data").get()
        content = zlib.decompress(data) if compressed else bytes(data)
        Attachment.objects.filter(pk=pk).update(db_content=content, blob_id=None)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0022_content_blobs")]

    operations = [migrations.RunPython(forwards, backwards)]
