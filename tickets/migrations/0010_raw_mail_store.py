"""The raw bytes of a mail stored once (RawMail), shared by the inbound store and the article's
raw source; claims and the "same mail" fingerprint on the inbound store.

The data step copies every existing ``ArticleRaw.content`` and ``InboundMessage.raw`` into
RawMail rows (the same bytes once, zlib-compressed when that pays), in batches of BATCH rows,
with plain ORM calls only, so it runs alike on PostgreSQL, MariaDB and SQLite. Base64 bodies
are not split out of old rows here (that needs the attachment storage); new mail gets it.
An inbound row whose raw was cleared after processing points at its article's raw source.
"""

import hashlib
import re
import zlib

from django.db import migrations, models
import django.db.models.deletion

BATCH = 100

# Frozen copies of tickets.models.mail.fingerprint and pack as of this migration.
TRANSPORT_HEADERS = frozenset(
    {
        "received", "x-received", "return-path", "delivered-to", "x-original-to",
        "envelope-to", "x-envelope-from", "x-envelope-to", "x-rcpt-to", "x-original-rcpt-to",
        "authentication-results", "arc-authentication-results", "arc-message-signature",
        "arc-seal", "received-spf",
    }
)
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def fingerprint(raw):
    lines = _LINE_END.split(raw)
    digest = hashlib.sha256()
    skipping = False
    for index, line in enumerate(lines):
        if not line:
            digest.update(b"\n".join(lines[index:]))
            break
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                digest.update(line + b"\n")
            continue
        name = _HEADER_NAME.match(line)
        skipping = bool(name) and name.group(1).decode("ascii").lower() in TRANSPORT_HEADERS
        if not skipping:
            digest.update(line + b"\n")
    return digest.hexdigest()


def pack(data):
    if len(data) >= 256:
        packed = zlib.compress(data, 6)
        if len(packed) < len(data) * 0.9:
            return "zlib", packed
    return "", data


def _put(RawMail, raw):
    sha = hashlib.sha256(raw).hexdigest()
    found = RawMail.objects.filter(sha256=sha).values_list("pk", flat=True).first()
    if found is not None:
        return found
    codec, data = pack(raw)
    return RawMail.objects.create(
        sha256=sha, size=len(raw), codec=codec, data=data, pieces=[]
    ).pk


def _batches(queryset, *fields):
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def forwards(apps, schema_editor):
    RawMail = apps.get_model("tickets", "RawMail")
    ArticleRaw = apps.get_model("tickets", "ArticleRaw")
    InboundMessage = apps.get_model("tickets", "InboundMessage")
    for rows in _batches(ArticleRaw.objects.filter(blob__isnull=True), "content"):
        for pk, content in rows:
            ArticleRaw.objects.filter(pk=pk).update(blob_id=_put(RawMail, bytes(content)))
    for rows in _batches(InboundMessage.objects.filter(blob__isnull=True), "raw", "article_id"):
        for pk, raw, article_id in rows:
            raw = bytes(raw)
            blob_id = None
            if not raw and article_id is not None:
                blob_id = (
                    ArticleRaw.objects.filter(article_id=article_id)
                    .values_list("blob_id", flat=True)
                    .first()
                )
            if blob_id is None:
                blob_id = _put(RawMail, raw)
            if raw or blob_id is None:
                print_ = fingerprint(raw)
            else:
                codec, data = RawMail.objects.filter(pk=blob_id).values_list("codec", "data")[0]
                data = bytes(data)
                print_ = fingerprint(zlib.decompress(data) if codec == "zlib" else data)
            if InboundMessage.objects.filter(fingerprint=print_).exists():
                print_ = None  # a second row of one mail, from before the rule: kept as it is
            InboundMessage.objects.filter(pk=pk).update(blob_id=blob_id, fingerprint=print_)


def backwards(apps, schema_editor):
    from tickets.models.mail import unpack

    RawMail = apps.get_model("tickets", "RawMail")
    ArticleRaw = apps.get_model("tickets", "ArticleRaw")
    InboundMessage = apps.get_model("tickets", "InboundMessage")

    def read(blob_id):
        codec, data, pieces = RawMail.objects.filter(pk=blob_id).values_list(
            "codec", "data", "pieces"
        )[0]
        return unpack(codec, bytes(data), pieces)

    for rows in _batches(ArticleRaw.objects.all(), "blob_id"):
        for pk, blob_id in rows:
            ArticleRaw.objects.filter(pk=pk).update(content=read(blob_id))
    for rows in _batches(InboundMessage.objects.all(), "blob_id"):
        for pk, blob_id in rows:
            InboundMessage.objects.filter(pk=pk).update(raw=read(blob_id))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_escalation_and_pending")]

    operations = [
        # Nullable first, so that going back can re-add them empty and fill them in.
        migrations.AlterField(
            model_name="articleraw", name="content", field=models.BinaryField(null=True)
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="raw",
            field=models.BinaryField(null=True, verbose_name="raw message"),
        ),
        migrations.CreateModel(
            name="RawMail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sha256", models.CharField(max_length=64, unique=True)),
                ("size", models.PositiveBigIntegerField(verbose_name="size")),
                ("codec", models.CharField(blank=True, max_length=8)),
                ("data", models.BinaryField()),
                ("pieces", models.JSONField(blank=True, default=list)),
            ],
            options={"verbose_name": "raw mail", "verbose_name_plural": "raw mails"},
        ),
        migrations.AddField(
            model_name="articleraw",
            name="blob",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="tickets.rawmail",
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="blob",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to="tickets.rawmail", verbose_name="raw message",
            ),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="fingerprint",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="sha256",
            field=models.CharField(max_length=64),
        ),
        migrations.AddField(
            model_name="inboundmessage",
            name="claimed_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="claimed until"),
        ),
        migrations.AlterField(
            model_name="inboundmessage",
            name="status",
            field=models.CharField(
                choices=[
                    ("received", "received, not processed yet"),
                    ("processing", "being processed"),
                    ("processed", "processed"),
                    ("ignored", "ignored by a filter"),
                    ("quarantined", "quarantined"),
                ],
                default="received", max_length=12, verbose_name="status",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
