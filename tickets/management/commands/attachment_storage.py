"""``manage.py attachment_storage --to db|fs``: move existing attachments between the database
and the attachment file storage.

``ATTACHMENT_STORAGE`` decides where new attachments go; this command moves the old ones
after that setting changed. Each attachment moves in its own transaction under a row lock,
so the command can run beside a live system and be interrupted at any point:

* to ``db``: the bytes are copied into a content-addressed blob row (one per distinct
  content, :class:`~tickets.models.ContentBlob`); the file is deleted only after the commit
  (``transaction.on_commit``), so a failed or interrupted move never loses data;
* to ``fs``: the file is written first, then the row is switched to it in the transaction;
  if that fails the new file is removed again. The blob row left without users is removed
  by the mail-store orphan sweep (``manage.py mailstore --sweep-orphans``).

Attachments already where they should be are skipped, so running it twice is harmless.
"""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand
from django.db import transaction

from tickets.models import Attachment
from tickets.models.article import file_in_use

logger = logging.getLogger(__name__)

TO_DB = "db"
TO_FS = "fs"


class Command(BaseCommand):
    help = (
        "Move existing attachments between the database and the file storage "
        "(ATTACHMENT_STORAGE decides where new attachments go)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--to",
            required=True,
            choices=[TO_DB, TO_FS],
            help=("Where the attachments should be: db (database) or fs (file storage)."),
        )
        parser.add_argument(
            "--batch",
            type=int,
            default=500,
            help=("How many attachment ids to read at a time (default 500)."),
        )

    def handle(self, *args, **options) -> None:
        target = options["to"]
        batch = max(options["batch"], 1)
        move = _to_db if target == TO_DB else _to_fs
        moved = skipped = failed = 0
        for pk in _candidates(target, batch):
            try:
                done = move(pk)
            except Exception:
                logger.exception("Could not move attachment %s to %s", pk, target)
                failed += 1
                continue
            if done:
                moved += 1
            else:
                skipped += 1
            if moved and moved % batch == 0:
                self.stdout.write(f"  {moved} moved ...")
        where = "the database" if target == TO_DB else "the file storage"
        message = f"Moved {moved} attachment(s) to {where}."
        if skipped:
            message += f" {skipped} were already there or gone."
        if failed:
            self.stderr.write(f"{message} {failed} failed (see the log).")
        else:
            self.stdout.write(self.style.SUCCESS(message))


def _candidates(target: str, batch: int):
    """The ids of attachments still in the other place, read ``batch`` at a time."""
    pending = Attachment.objects.all()
    if target == TO_DB:
        pending = pending.filter(blob__isnull=True).exclude(file="")
    else:
        pending = pending.filter(blob__isnull=False)
    last = 0
    while True:
        ids = list(pending.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield from ids
        last = ids[-1]


def _to_db(pk: int) -> bool:
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().filter(pk=pk).first()
        if attachment is None or attachment.blob_id is not None or not attachment.file:
            return False
        storage, old_name = attachment.file.storage, str(attachment.file.name)  # not empty: checked
        attachment.store(attachment.read(), backend=TO_DB)
        attachment.save(update_fields=["blob", "file", "size"])
        # Only once the bytes are safely in the database does the file go; a failed delete
        # is logged and leaves an orphan file, never a lost attachment.
        # A content-addressed file may be shared (the same bytes in another article or a raw
        # mail): it goes only when nothing else uses it.
        if not file_in_use(old_name, besides=pk):
            transaction.on_commit(lambda: storage.delete(old_name), robust=True)
    return True


def _to_fs(pk: int) -> bool:
    new_name, storage = "", None
    try:
        with transaction.atomic():
            attachment = Attachment.objects.select_for_update().filter(pk=pk).first()
            if attachment is None or attachment.blob_id is None:
                return False
            attachment.store(attachment.read(), backend=TO_FS)
            new_name, storage = attachment.file.name or "", attachment.file.storage
            attachment.save(update_fields=["blob", "file", "size"])
    except BaseException:
        if new_name and storage is not None and not file_in_use(new_name, besides=pk):
            storage.delete(new_name)
        raise
    return True
