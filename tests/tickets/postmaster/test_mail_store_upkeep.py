"""Upkeep of the raw mail store (issue 10, parts 4 and 5): the orphan sweep of raw mails and
``cas/`` files, and splitting the bodies of raw mails stored whole. Real database, real files
(a private attachment directory per test)."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from otrs.mail.models import OutboundMessage
from tickets import mailstore
from tickets.models import ArticleRaw, Attachment, ContentBlob, InboundMessage, RawMail
from tickets.models.mail import blob_name, pack, save_blob

from . import test_mail_store
from .test_mail_store import mail, pipe, with_attachment

support_address = test_mail_store.support_address  # the fixture, shared

pytestmark = pytest.mark.django_db
DAY = 24 * 3600


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ATTACHMENT_STORAGE = "fs"
    settings.MAIL_STORE_ORPHAN_GRACE_HOURS = 24
    return tmp_path / "attachments"


def age_rows(*rows: RawMail, hours: int = 48) -> None:
    RawMail.objects.filter(pk__in=[r.pk for r in rows]).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def age_file(name: str, seconds: int = 2 * DAY) -> None:
    path = storages["attachments"].path(name)
    then = time.time() - seconds
    os.utime(path, (then, then))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("mailstore", *args, stdout=out)
    return out.getvalue()


# --- orphan rows -------------------------------------------------------------------------------


def test_it_removes_an_old_raw_mail_nobody_refers_to_and_keeps_the_rest(support_address):
    orphan = RawMail.objects.put(b"From: a@example.com\r\n\r\nlost\r\n")
    young = RawMail.objects.put(b"From: a@example.com\r\n\r\nyoung\r\n")
    stored = pipe(mail())  # the inbound row and the article share one RawMail
    used = RawMail.objects.get(pk=stored.blob_id)
    age_rows(orphan, used)

    result = mailstore.sweep_orphans()

    assert result.rows == 1 and result.row_bytes == orphan.size
    assert set(RawMail.objects.values_list("pk", flat=True)) == {young.pk, used.pk}
    assert InboundMessage.objects.get().raw == mail()


def test_an_outgoing_message_keeps_its_shared_bytes(support):
    blob = RawMail.objects.put(b"From: us@example.com\r\n\r\nanswer\r\n")
    OutboundMessage.objects.create(
        kind="system", envelope_from="us@example.com", raw=b"", raw_blob_id=blob.pk
    )
    age_rows(blob)
    assert mailstore.sweep_orphans().rows == 0
    assert RawMail.objects.filter(pk=blob.pk).exists()


def test_a_dry_run_counts_and_removes_nothing(private_files):
    orphan = RawMail.objects.put(b"From: a@example.com\r\n\r\nlost\r\n")
    age_rows(orphan)
    name = save_blob(b"an orphan file")
    age_file(name)

    out = run("--sweep-orphans", "--dry-run")

    assert "Would remove 1 raw mail(s)" in out and "1 file(s) (14 bytes)" in out
    assert RawMail.objects.filter(pk=orphan.pk).exists()
    assert storages["attachments"].exists(name)
    out = run("--sweep-orphans")
    assert "Removed 1 raw mail(s)" in out
    assert not RawMail.objects.filter(pk=orphan.pk).exists()
    assert not storages["attachments"].exists(name)


def test_the_grace_period_can_be_given_on_the_command_line():
    orphan = RawMail.objects.put(b"From: a@example.com\r\n\r\nlost\r\n")
    age_rows(orphan, hours=5)
    assert "Removed 0 raw mail(s)" in run("--sweep-orphans")
    assert "Removed 1 raw mail(s)" in run("--sweep-orphans", "--grace-hours", "4")
    with pytest.raises(CommandError, match="at least 1"):
        run("--sweep-orphans", "--grace-hours", "0")


# --- cas/ files --------------------------------------------------------------------------------


def test_files_in_use_stay_and_an_orphan_row_takes_its_pieces_along(support_address):
    content = os.urandom(40_000)
    stored = pipe(with_attachment(content))
    blob = RawMail.objects.get(pk=stored.blob_id)
    assert blob.pieces, "the base64 body is a cas/ file"
    piece = blob_name(blob.pieces[0]["sha256"])
    attachment = Attachment.objects.get()
    assert attachment.file.name == piece  # the attachment and the piece: one file
    age_file(piece)
    age_rows(blob)
    assert mailstore.sweep_orphans().files == 0
    assert storages["attachments"].exists(piece)

    # Take the mail away (rows and article): its RawMail and its file become orphans.
    article = stored.article
    InboundMessage.objects.all().delete()
    ArticleRaw.objects.all().delete()
    Attachment.objects.all().delete()
    article.delete()

    result = mailstore.sweep_orphans()
    assert (result.rows, result.files, result.names) == (1, 1, [piece])
    assert not storages["attachments"].exists(piece)


def test_a_young_file_stays_and_reusing_an_old_file_makes_it_young(private_files):
    young = save_blob(b"written a moment ago")
    old = save_blob(b"written long ago")
    age_file(old)
    # A writer reuses the old file (the same bytes again): touched, so the sweep that
    # runs before the writer's reference commits leaves it.
    assert save_blob(b"written long ago") == old

    assert mailstore.sweep_orphans().files == 0
    assert storages["attachments"].exists(young) and storages["attachments"].exists(old)


def test_no_cas_directory_is_no_error(private_files):
    assert not private_files.exists()
    assert mailstore.sweep_orphans().files == 0


def test_the_daemon_runs_the_sweep_daily():
    task = PeriodicTask.objects.get(task="tickets.tasks.sweep_mail_store")
    assert task.enabled and task.crontab is not None


# --- splitting bodies stored whole ---------------------------------------------------------------


def stored_whole(row: RawMail) -> RawMail:
    """The row as it was stored before bodies were split (the whole mail, packed)."""
    codec, data = pack(row.read())
    RawMail.objects.filter(pk=row.pk).update(codec=codec, data=data, pieces=[])
    row.refresh_from_db()
    return row


def test_bodies_stored_whole_are_split_into_files_resumably(settings, support_address):
    raws = [
        with_attachment(os.urandom(30_000), message_id=f"<whole{i}@example.com>") for i in range(3)
    ]
    rows = [stored_whole(RawMail.objects.get(pk=pipe(raw).blob_id)) for raw in raws]
    small = RawMail.objects.put(mail("small", message_id="<small@example.com>"))
    assert all(r.pieces == [] for r in rows)
    before = sum(len(bytes(r.data)) for r in rows)

    out = run("--split-bodies", "--batch", "1", "--limit", "2")
    assert "split 2" in out and f"Last id: {rows[1].pk}." in out
    out = run("--split-bodies", "--after", str(rows[1].pk))
    assert "split 1" in out

    for row, raw in zip(rows, raws, strict=True):
        row.refresh_from_db()
        assert row.pieces and row.read() == raw
        assert storages["attachments"].exists(blob_name(row.pieces[0]["sha256"]))
    assert sum(len(bytes(r.data)) for r in rows) < before / 20
    small.refresh_from_db()
    assert small.pieces == [] and small.read() == mail("small", message_id="<small@example.com>")
    # Running it again changes nothing.
    assert "split 0" in run("--split-bodies")
    assert [InboundMessage.objects.get(blob=r).raw for r in rows] == raws


def test_with_the_database_storage_bodies_are_split_into_blob_rows(settings, support_address):
    settings.ATTACHMENT_STORAGE = "db"
    raw = with_attachment(os.urandom(30_000), message_id="<wholedb@example.com>")
    row = stored_whole(RawMail.objects.get(pk=pipe(raw).blob_id))

    assert "split 1" in run("--split-bodies")

    row.refresh_from_db()
    assert row.pieces[0]["in"] == "db" and row.read() == raw
    # The piece is the attachment's own blob row: the file is stored once.
    attachment = Attachment.objects.get()
    assert attachment.blob_id == row.pieces[0]["sha256"]
    assert ContentBlob.objects.count() == 1
    assert not storages["attachments"].exists(blob_name(row.pieces[0]["sha256"]))


def test_splitting_checks_its_options(settings):
    with pytest.raises(CommandError, match="at least 1"):
        run("--split-bodies", "--batch", "0")
    with pytest.raises(CommandError, match="sweep-orphans only"):
        run("--split-bodies", "--dry-run")


def test_one_of_the_two_is_required():
    with pytest.raises(CommandError):
        run()
