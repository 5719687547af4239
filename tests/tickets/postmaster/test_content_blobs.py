"""Attachments stored once with ``ATTACHMENT_STORAGE=db`` too (issue 10, item 3): one
content-addressed blob row per distinct file, shared by the attachments of a thread or a
forward and by the raw mail's base64 bodies; compressed where that pays; the orphan sweep
removes blob rows nothing uses. Real database (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import io
import os
import zlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tickets import mailstore
from tickets.management.commands.attachment_storage import _to_db, _to_fs
from tickets.models import Attachment, ContentBlob, InboundMessage, RawMail
from tickets.models.mail import compress_blob, content_hash

from . import test_mail_store
from .test_mail_store import mail, pipe, with_attachment

support_address = test_mail_store.support_address  # the fixture, shared

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def database_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ATTACHMENT_STORAGE = "db"
    settings.MAIL_STORE_ORPHAN_GRACE_HOURS = 24
    return tmp_path / "attachments"


def forward(content: bytes, message_id: str) -> bytes:
    """Another mail (its own text, subject and Message-ID) carrying the same file."""
    return with_attachment(content, message_id=message_id).replace(
        b"Subject: The file", b"Subject: Fwd: The file"
    )


def blob_bytes() -> int:
    return sum(len(bytes(d)) for d in ContentBlob.objects.values_list("data", flat=True))


def raw_bytes() -> int:
    return sum(len(bytes(d)) for d in RawMail.objects.values_list("data", flat=True))


def age(*shas: str, hours: int = 48) -> None:
    ContentBlob.objects.filter(pk__in=shas).update(used_at=timezone.now() - timedelta(hours=hours))


def test_blob_it_stores_a_mail_file_once_for_the_attachment_and_the_raw_mail(
    support_address, database_storage
):
    content = os.urandom(200_000)
    raw = with_attachment(content, message_id="<blob1@example.com>")

    stored = pipe(raw)

    attachment = Attachment.objects.get()
    blob = ContentBlob.objects.get()
    assert blob.sha256 == content_hash(content) == attachment.blob_id
    assert blob.size == len(content) and not blob.compressed
    assert attachment.in_database and not attachment.file
    assert attachment.read() == content
    # The raw mail keeps its text and a reference to the blob, and gives back the same bytes.
    row = RawMail.objects.get(pk=stored.blob_id)
    assert row.pieces == [
        {"at": row.pieces[0]["at"], "sha256": blob.sha256, "line": 76, "eol": "\r\n", "in": "db"}
    ]
    assert InboundMessage.objects.get().raw == raw
    # Stored: the file once and the mail's text, well under 1.2 times the raw size.
    assert blob_bytes() == len(content)
    assert raw_bytes() < 1_000
    assert blob_bytes() + raw_bytes() < 1.2 * len(content) < len(raw)
    assert not database_storage.exists()  # nothing went into files


def test_blob_the_same_file_in_a_forward_and_a_reply_is_not_stored_again(support_address):
    content = os.urandom(50_000)
    pipe(with_attachment(content, message_id="<blob2@example.com>"))
    pipe(forward(content, "<blob2-fwd@example.com>"))
    pipe(forward(content, "<blob2-fwd2@example.com>").replace(b"Fwd:", b"Re:"))

    assert Attachment.objects.count() == 3
    assert set(Attachment.objects.values_list("blob_id", flat=True)) == {content_hash(content)}
    assert ContentBlob.objects.count() == 1
    assert blob_bytes() == len(content)
    assert [a.read() for a in Attachment.objects.all()] == [content] * 3


def test_blob_a_file_that_compresses_is_kept_compressed_and_read_back_exactly():
    text = b"".join(b"line %d of a log file that repeats itself\n" % (i % 50) for i in range(5000))
    noise = os.urandom(300_000)

    kept = ContentBlob.objects.put(text)
    random_kept = ContentBlob.objects.put(noise)

    row = ContentBlob.objects.get(pk=kept.pk)
    assert row.compressed and len(bytes(row.data)) < len(text) / 10
    assert zlib.decompress(bytes(row.data)) == text == row.read()
    assert not ContentBlob.objects.get(pk=random_kept.pk).compressed
    assert random_kept.read() == noise
    # Tiny files are kept as they are; a compressible tail behind random bytes is found too.
    assert compress_blob(b"short") == (False, b"short")
    mixed = os.urandom(70_000)[:10] + b"\0" * 200_000
    assert compress_blob(mixed)[0] is True


def test_blob_storing_the_same_bytes_again_touches_the_row_and_writes_nothing(
    django_assert_num_queries,
):
    first = ContentBlob.objects.put(b"x" * 5000)
    age(first.pk)
    with django_assert_num_queries(1):  # the touch that finds it
        again = ContentBlob.objects.put(b"x" * 5000)
    assert again.pk == first.pk and ContentBlob.objects.count() == 1
    assert ContentBlob.objects.get().used_at > timezone.now() - timedelta(minutes=5)


def test_blob_orphan_sweep_removes_only_old_rows_nothing_uses(support_address):
    kept_by_attachment = os.urandom(20_000)
    pipe(with_attachment(kept_by_attachment, message_id="<blob3@example.com>"))
    # A raw mail's piece alone keeps its blob (the attachment moved to the file storage).
    _to_fs(Attachment.objects.get().pk)
    orphan = ContentBlob.objects.put(b"nobody uses me" * 100)
    young = ContentBlob.objects.put(b"written a moment ago" * 100)
    loose = ContentBlob.objects.put(b"was an attachment" * 100)
    age(content_hash(kept_by_attachment), orphan.pk, loose.pk)
    used_only_by_attachment = os.urandom(300)
    article = Attachment.objects.get().article
    attachment = Attachment(article=article, filename="note.bin")
    attachment.store(used_only_by_attachment, backend="db")
    attachment.save()
    age(attachment.blob_id)

    dry = mailstore.sweep_orphans(dry_run=True)
    assert (dry.blobs, dry.blob_bytes) == (2, orphan.size + loose.size)
    assert ContentBlob.objects.count() == 5

    result = mailstore.sweep_orphans()

    assert (result.blobs, result.blob_bytes) == (2, orphan.size + loose.size)
    assert set(ContentBlob.objects.values_list("pk", flat=True)) == {
        content_hash(kept_by_attachment),
        young.pk,
        attachment.blob_id,
    }
    assert InboundMessage.objects.get().raw == with_attachment(
        kept_by_attachment, message_id="<blob3@example.com>"
    )
    assert attachment.read() == used_only_by_attachment


def test_blob_a_reused_blob_is_young_again_for_the_sweep(support_address):
    content = os.urandom(20_000)
    pipe(with_attachment(content, message_id="<blob4@example.com>"))
    Attachment.objects.all().delete()
    RawMail.objects.all().update(pieces=[])  # nothing refers to the blob now
    age(content_hash(content))
    ContentBlob.objects.put(content)  # a new mail brings the same file: touched
    assert mailstore.sweep_orphans().blobs == 0
    assert ContentBlob.objects.filter(pk=content_hash(content)).exists()


def test_blob_the_sweep_command_reports_blob_rows():
    age(ContentBlob.objects.put(b"orphan row" * 50).pk)
    out = _run("mailstore", "--sweep-orphans")
    assert "1 file(s) stored in the database (500 bytes)" in out
    assert not ContentBlob.objects.exists()


def test_blob_moving_attachments_between_storages_keeps_them_shared(support_address):
    content = os.urandom(30_000)
    pipe(with_attachment(content, message_id="<blob5@example.com>"))
    pipe(forward(content, "<blob5-fwd@example.com>"))
    first, second = Attachment.objects.order_by("pk")
    _to_fs(first.pk)
    _to_fs(second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.file.name == second.file.name and first.read() == content
    assert _to_db(first.pk) and _to_db(second.pk)
    assert set(Attachment.objects.values_list("blob_id", flat=True)) == {content_hash(content)}
    assert ContentBlob.objects.count() == 1


def test_blob_a_plain_mail_makes_no_blob(support_address):
    pipe(mail(message_id="<blob6@example.com>"))
    assert not ContentBlob.objects.exists()


@pytest.mark.skipif(connection.vendor != "mysql", reason="MariaDB/MySQL: one packet per row")
def test_blob_a_file_of_several_mib_fits_a_mariadb_longblob():
    content = os.urandom(6 * 1024 * 1024)
    blob = ContentBlob.objects.put(content)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s AND COLUMN_NAME = 'data'",
            [ContentBlob._meta.db_table],
        )
        assert cursor.fetchone()[0].lower() == "longblob"
    assert blob.read() == content


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
