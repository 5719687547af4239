"""Files larger than one database packet (issue 10): a stored file's bytes are cut into rows
of at most 1 MiB (the blob row, then chunk rows), so MariaDB's ``max_allowed_packet`` never
refuses one; they are read back a row at a time, kept once by their sha256, and the file
storage mode is unchanged. Real databases (SQLite, PostgreSQL, MariaDB) and storage.

On MariaDB the file is larger than the server's own ``max_allowed_packet`` (read with
``SELECT @@max_allowed_packet``; the server's value is left as it is, it is shared)."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from tickets import mailstore
from tickets.downloads import attachment_response
from tickets.models import Attachment, ContentBlob, ContentChunk, InboundMessage, RawMail
from tickets.models.mail import BLOB_CHUNK_BYTES, blob_name

from . import test_mail_store
from .test_mail_store import pipe, with_attachment

support_address = test_mail_store.support_address  # the fixture, shared

pytestmark = pytest.mark.django_db


def packet_limit() -> int | None:
    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT @@max_allowed_packet")
        return int(cursor.fetchone()[0])


def large_size() -> int:
    """Larger than the server's packet limit on MariaDB (16 MiB by default); the same size on
    the other databases, which have no such limit."""
    limit = packet_limit() or 16 * 1024 * 1024
    if limit > 64 * 1024 * 1024:
        pytest.skip(f"max_allowed_packet is {limit}: a larger file is too costly for a test")
    return limit + 300_001


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ATTACHMENT_STORAGE = "db"
    settings.POSTMASTER_MAX_EMAIL_BYTES = 128 * 1024 * 1024
    settings.MAIL_STORE_ORPHAN_GRACE_HOURS = 24
    return settings


def chunk_rows(sha: str) -> list[int]:
    return list(
        ContentChunk.objects.filter(blob_id=sha).order_by("seq").values_list("seq", flat=True)
    )


def test_it_takes_a_mail_with_a_file_larger_than_one_packet_and_keeps_it_once(
    support_address, storage
):
    content = os.urandom(large_size())
    sha = hashlib.sha256(content).hexdigest()
    raw = with_attachment(content, message_id="<chunked1@example.com>")

    stored = pipe(raw)

    assert stored.status == "processed", stored.error
    attachment = Attachment.objects.get(article=stored.article, filename="data.bin")
    assert attachment.blob_id == sha and attachment.size == len(content)
    assert attachment.read() == content
    assert stored.raw == raw  # the raw mail puts the file back byte for byte
    blob = ContentBlob.objects.get(pk=sha)
    expected = -(-len(content) // BLOB_CHUNK_BYTES) - 1  # random bytes: not compressed
    assert not blob.compressed and blob.chunks == expected
    assert len(bytes(blob.data)) == BLOB_CHUNK_BYTES
    assert chunk_rows(sha) == list(range(1, expected + 1))
    assert max(len(bytes(d)) for d in ContentChunk.objects.values_list("data", flat=True)) <= (
        BLOB_CHUNK_BYTES
    )

    # The same file in another mail: no second blob, no more chunk rows.
    again = pipe(
        with_attachment(content, message_id="<chunked2@example.com>").replace(
            b"Subject: The file", b"Subject: Fwd: The file"
        )
    )
    assert again.status == "processed", again.error
    assert Attachment.objects.get(article=again.article).read() == content
    assert ContentBlob.objects.count() == 1
    assert ContentChunk.objects.count() == expected


def test_a_download_streams_the_file_a_row_at_a_time(storage):
    content = os.urandom(3 * BLOB_CHUNK_BYTES + 12_345)
    blob = ContentBlob.objects.put(content)
    assert blob.chunks == 3

    pieces = list(ContentBlob.objects.stream(blob.pk))
    assert [len(p) for p in pieces] == [BLOB_CHUNK_BYTES] * 3 + [12_345]
    assert b"".join(pieces) == content

    attachment = Attachment(filename="big.bin", content_type="application/octet-stream")
    attachment.store(content, backend="db")
    response = attachment_response(attachment)
    assert response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content


def test_a_compressible_file_is_chunked_after_compression_and_inflates_in_steps(storage):
    # Compressed, it still needs several rows; inflated, each piece is at most one chunk.
    content = b"".join(
        hashlib.sha256(str(i).encode()).hexdigest().encode() * 3 for i in range(100_000)
    )
    blob = ContentBlob.objects.put(content)
    row = ContentBlob.objects.get(pk=blob.pk)
    assert row.compressed and row.chunks >= 1
    pieces = list(ContentBlob.objects.stream(blob.pk))
    assert max(len(p) for p in pieces) <= BLOB_CHUNK_BYTES
    assert b"".join(pieces) == content == ContentBlob.objects.content(blob.pk)
    stored = bytes(row.data) + b"".join(
        bytes(d)
        for d in ContentChunk.objects.filter(blob_id=blob.pk)
        .order_by("seq")
        .values_list("data", flat=True)
    )
    assert zlib.decompress(stored) == content


def test_a_missing_chunk_is_an_error_not_a_short_file(storage):
    blob = ContentBlob.objects.put(os.urandom(2 * BLOB_CHUNK_BYTES + 1))
    ContentChunk.objects.filter(blob_id=blob.pk, seq=2).delete()
    with pytest.raises(ValueError, match="chunk 2 of 2 is missing"):
        ContentBlob.objects.content(blob.pk)


def test_the_orphan_sweep_removes_a_large_file_with_its_chunks(storage):
    kept_bytes = os.urandom(BLOB_CHUNK_BYTES + 10)
    kept = ContentBlob.objects.put(kept_bytes)
    orphan = ContentBlob.objects.put(os.urandom(2 * BLOB_CHUNK_BYTES + 10))
    attachment = Attachment(filename="kept.bin")
    attachment.blob = kept
    old = timezone.now() - timedelta(hours=48)
    ContentBlob.objects.update(used_at=old)
    ticket = factories.ticket(factories.queue("Chunk sweep"), title="chunk sweep")
    attachment.article = ticket.articles.get()
    attachment.save()

    result = mailstore.sweep_orphans()

    assert result.blobs == 1
    assert list(ContentBlob.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(ContentChunk.objects.values_list("blob_id", flat=True)) == [kept.pk]
    assert not ContentChunk.objects.filter(blob_id=orphan.pk).exists()
    assert Attachment.objects.get(pk=attachment.pk).read() == kept_bytes


def test_the_file_storage_keeps_a_large_file_as_one_file(support_address, storage, settings):
    settings.ATTACHMENT_STORAGE = "fs"
    content = os.urandom(2 * BLOB_CHUNK_BYTES + 77)
    stored = pipe(with_attachment(content, message_id="<chunked-fs@example.com>"))
    assert stored.status == "processed", stored.error
    attachment = Attachment.objects.get(article=stored.article)
    assert attachment.file.name == blob_name(hashlib.sha256(content).hexdigest())
    assert attachment.read() == content
    assert b"".join(attachment_response(attachment).streaming_content) == content
    assert not ContentBlob.objects.exists() and not ContentChunk.objects.exists()


def test_chunk_rows_left_without_their_blob_row_do_not_block_storing_the_file_again(storage):
    content = os.urandom(2 * BLOB_CHUNK_BYTES + 5)
    blob = ContentBlob.objects.put(content)
    # A blob row deleted by hand (no constraint takes its chunks along).
    ContentBlob.objects.filter(pk=blob.pk)._raw_delete(connection.alias)
    assert ContentChunk.objects.filter(blob_id=blob.pk).count() == 2
    ContentBlob.objects.put(content)
    assert ContentBlob.objects.content(blob.pk) == content
    assert ContentChunk.objects.filter(blob_id=blob.pk).count() == 2


def verbatim_base64(content: bytes, *, message_id: str) -> bytes:
    """A mail whose base64 attachment cannot be taken out of the raw bytes (each line ends
    in a space, as some mailers write it): the raw row keeps it, so that row is larger than
    one packet (base64 of random bytes compresses to about three quarters)."""
    encoded = base64.b64encode(content)
    lines = b"".join(encoded[i : i + 76] + b" \r\n" for i in range(0, len(encoded), 76))
    return (
        with_attachment(b"", message_id=message_id).removesuffix(b"--XyZ--\r\n")
        + lines
        + b"--XyZ--\r\n"
    )


@pytest.mark.parametrize("where", ["db", "fs"])
def test_a_raw_mail_larger_than_one_packet_is_stored_and_read_back(support_address, storage, where):
    storage.ATTACHMENT_STORAGE = where
    content = os.urandom(large_size())
    raw = verbatim_base64(content, message_id=f"<bigraw-{where}@example.com>")
    assert len(zlib.compress(raw, 6)) > large_size() - 300_001  # over the packet packed too

    stored = pipe(raw)

    assert stored.status == "processed", stored.error
    row = RawMail.objects.get(pk=stored.blob_id)
    assert len(bytes(row.data)) <= BLOB_CHUNK_BYTES  # the row itself stays small
    assert row.read() == raw
    # Read back from the database alone (no bytes kept in memory by the worker).
    assert InboundMessage.objects.get(pk=stored.pk).raw == raw
    assert Attachment.objects.get(article=stored.article, filename="data.bin").read() == content
    assert stored.article.raw.content == raw
