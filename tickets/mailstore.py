"""Upkeep of the raw mail store (:class:`~tickets.models.RawMail`) and of the
content-addressed files under ``cas/`` in the attachment storage.

- :func:`sweep_orphans`: removes raw mail rows nothing refers to (no inbound message, no
  article source, no queued outgoing message), stored files in the database
  (:class:`~tickets.models.ContentBlob`, ``ATTACHMENT_STORAGE=db``) and ``cas/`` files no
  attachment and no raw mail piece refers to. Run by the daemon every day
  (``tickets.tasks.sweep_mail_store``) and by ``manage.py mailstore --sweep-orphans``.
- :func:`split_bodies`: stores the base64 bodies of raw mails kept whole (stored before the
  split existed) as content-addressed files or blob rows, by
  the code path new mail takes (:func:`~tickets.models.mail.split_raw`), batched and
  resumable (``manage.py mailstore --split-bodies``).

Safe beside live writers:

- only rows and files older than the grace period (``MAIL_STORE_ORPHAN_GRACE_HOURS``) are
  candidates: a writer stores bytes first and refers to them in the same transaction (rows)
  or within seconds (files), so anything younger may be about to be used;
- a writer that reuses an existing file touches it (:func:`~tickets.models.mail.save_blob`,
  :meth:`~tickets.models.Attachment.store`), and one that reuses a blob row sets its
  ``used_at`` in the statement that finds it, so a file or row in use again is young again;
- a row is deleted by one conditional statement that checks the references again, in a
  transaction of its own; a reference committed meanwhile makes the database refuse it
  (the foreign keys), and the row is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import storages
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, ProtectedError
from django.utils import timezone

from otrs.mail.models import OutboundMessage

from .models import (
    ArticleRaw,
    Attachment,
    ContentBlob,
    ContentChunk,
    DraftAttachment,
    InboundMessage,
    RawMail,
)
from .models.mail import PIECE_MIN_BYTES, pack, split_raw

logger = logging.getLogger(__name__)

CAS = "cas"


@dataclass
class SweepResult:
    rows: int = 0
    row_bytes: int = 0
    files: int = 0
    file_bytes: int = 0
    names: list[str] = field(default_factory=list)
    blobs: int = 0
    blob_bytes: int = 0


def grace() -> timedelta:
    return timedelta(hours=settings.MAIL_STORE_ORPHAN_GRACE_HOURS)


def _unreferenced():
    return (
        RawMail.objects.annotate(
            _inbound=Exists(InboundMessage.objects.filter(blob=OuterRef("pk"))),
            _article=Exists(ArticleRaw.objects.filter(blob=OuterRef("pk"))),
            _outbound=Exists(OutboundMessage.objects.filter(raw_blob_id=OuterRef("pk"))),
        )
        .filter(_inbound=False, _article=False, _outbound=False)
        .order_by()
    )


def orphan_rows(older_than: timedelta | None = None) -> Iterator[tuple[int, int]]:
    """(pk, stored bytes) of the raw mails nobody refers to, created before the grace time."""
    cutoff = timezone.now() - (grace() if older_than is None else older_than)
    rows = _unreferenced().filter(created_at__lt=cutoff).order_by("pk")
    yield from rows.values_list("pk", "size").iterator(chunk_size=500)


def _sweep_rows(result: SweepResult, *, dry_run: bool, older_than: timedelta | None) -> None:
    for pk, size in list(orphan_rows(older_than)):
        if dry_run:
            result.rows += 1
            result.row_bytes += size
            continue
        try:
            with transaction.atomic():
                # Checked again in the statement itself: a reference that came meanwhile
                # keeps the row (and one not committed yet holds a lock the delete waits for,
                # then the foreign key refuses it).
                deleted, _by_model = _unreferenced().filter(pk=pk).delete()
        except (IntegrityError, ProtectedError):
            logger.info("Raw mail %s: referred to again while sweeping, kept", pk)
            continue
        if deleted:
            result.rows += 1
            result.row_bytes += size


def _cas_files() -> Iterator[str]:
    storage = storages["attachments"]
    try:
        tops, _files = storage.listdir(CAS)
    except (FileNotFoundError, NotADirectoryError):
        return
    for top in sorted(tops):
        seconds, _ = storage.listdir(f"{CAS}/{top}")
        for second in sorted(seconds):
            _dirs, names = storage.listdir(f"{CAS}/{top}/{second}")
            for name in sorted(names):
                yield f"{CAS}/{top}/{second}/{name}"


def _piece_shas(*, in_db: bool) -> set[str]:
    """The sha256 of every raw mail piece kept in the database (``in_db``) or in a file."""
    used: set[str] = set()
    pieces = RawMail.objects.exclude(pieces=[]).values_list("pieces", flat=True)
    for items in pieces.iterator(chunk_size=500):
        used.update(p["sha256"] for p in items if (p.get("in") == "db") is in_db)
    return used


def _referenced_shas() -> set[str]:
    """The sha256 of every ``cas/`` file some row refers to (attachments and raw pieces)."""
    used = {
        name.rsplit("/", 1)[-1]
        for model in (Attachment, DraftAttachment)
        for name in model.objects.filter(file__startswith=f"{CAS}/")
        .values_list("file", flat=True)
        .iterator(chunk_size=2000)
    }
    return used | _piece_shas(in_db=False)


def _sweep_blobs(result: SweepResult, *, dry_run: bool, older_than: timedelta | None) -> None:
    """Blob rows no attachment and no raw mail piece refers to, unused for the grace time.

    Each is deleted by one statement that checks again that it is old and that no attachment
    refers to it: a writer reusing it sets ``used_at`` first (and holds the row until it
    commits), an attachment committed meanwhile is seen, and one not committed yet makes the
    foreign key refuse the delete."""
    cutoff = timezone.now() - (grace() if older_than is None else older_than)
    candidates = list(
        ContentBlob.objects.filter(used_at__lt=cutoff)
        .exclude(Exists(Attachment.objects.filter(blob=OuterRef("pk"))))
        .exclude(Exists(DraftAttachment.objects.filter(blob=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", "size")
    )
    if not candidates:
        return
    in_pieces = _piece_shas(in_db=True)
    table = connection.ops.quote_name(ContentBlob._meta.db_table)
    attachments = connection.ops.quote_name(Attachment._meta.db_table)
    drafts = connection.ops.quote_name(DraftAttachment._meta.db_table)
    # Table names from the models, quoted; every value a parameter.
    statement = (
        f"DELETE FROM {table} WHERE sha256 = %s AND used_at < %s AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {attachments} a WHERE a.blob_id = %s) AND NOT EXISTS "
        f"(SELECT 1 FROM {drafts} d WHERE d.blob_id = %s)"
    )
    cutoff_db = connection.ops.adapt_datetimefield_value(cutoff)
    for sha, size in candidates:
        if sha in in_pieces:
            continue
        if dry_run:
            result.blobs += 1
            result.blob_bytes += size
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [sha, cutoff_db, sha, sha])
                deleted = cursor.rowcount
                if deleted:
                    # A large file's further rows go with it, in the same transaction (no
                    # constraint ties them to the row, see ContentChunk).
                    ContentChunk.objects.filter(blob_id=sha).delete()
        except IntegrityError:
            logger.info("Stored file %s: referred to again while sweeping, kept", sha)
            continue
        if deleted:
            result.blobs += 1
            result.blob_bytes += size


def _sweep_files(result: SweepResult, *, dry_run: bool, older_than: timedelta | None) -> None:
    storage = storages["attachments"]
    cutoff = timezone.now() - (grace() if older_than is None else older_than)
    # Listed before the references are read: a file written after this list is not looked
    # at; one written before and referred to before the read is seen as used.
    names = list(_cas_files())
    used = _referenced_shas()
    for name in names:
        if name.rsplit("/", 1)[-1] in used:
            continue
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue  # young: a writer may be about to refer to it
            size = storage.size(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if not dry_run:
            # Looked at once more right before: a writer that reused it touched it.
            if storage.get_modified_time(name) >= cutoff:
                continue
            storage.delete(name)
        result.files += 1
        result.file_bytes += size
        result.names.append(name)


def sweep_orphans(*, dry_run: bool = False, older_than: timedelta | None = None) -> SweepResult:
    """Remove (or with ``dry_run`` only count) unreferenced raw mails, blob rows and ``cas/``
    files older than the grace period. Raw mails first: their pieces become orphans and go in
    the same run."""
    result = SweepResult()
    _sweep_rows(result, dry_run=dry_run, older_than=older_than)
    _sweep_blobs(result, dry_run=dry_run, older_than=older_than)
    _sweep_files(result, dry_run=dry_run, older_than=older_than)
    if result.rows or result.files or result.blobs:
        logger.info(
            "Mail store sweep%s: %d raw mail row(s) (%d bytes), %d blob row(s) (%d bytes), "
            "%d file(s) (%d bytes)",
            " (dry run)" if dry_run else "",
            result.rows,
            result.row_bytes,
            result.blobs,
            result.blob_bytes,
            result.files,
            result.file_bytes,
        )
    return result


# --- splitting the bodies of raw mails stored whole -----------------------------------------------


@dataclass
class SplitResult:
    looked_at: int = 0
    split: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    last_pk: int = 0
    failed: list[int] = field(default_factory=list)


def split_bodies(
    *, after: int = 0, batch: int = 200, limit: int | None = None, pause: float = 0.0
) -> Iterator[SplitResult]:
    """Split the base64 bodies out of raw mails kept whole, ``batch`` rows at a time in pk
    order from ``after`` (resumable: each yielded result names the last pk done). A row is
    rewritten only if it is still the one read (same codec and data), in a transaction of
    its own; its files are written before, so a crash leaves at worst an orphan file."""
    total = SplitResult(last_pk=after)
    while limit is None or total.looked_at < limit:
        size = batch if limit is None else min(batch, limit - total.looked_at)
        rows = list(
            RawMail.objects.filter(pk__gt=total.last_pk, pieces=[], size__gte=_min_bytes())
            .order_by("pk")
            .only("pk", "codec", "data", "size")[:size]
        )
        if not rows:
            break
        for row in rows:
            total.looked_at += 1
            total.last_pk = row.pk
            try:
                _split_one(row, total)
            except (DatabaseError, OSError, ValueError):
                logger.exception("Raw mail %s: its bodies could not be split", row.pk)
                total.failed.append(row.pk)
        yield total
        if pause:
            time.sleep(pause)
    yield total


def _min_bytes() -> int:
    return PIECE_MIN_BYTES


def _split_one(row: RawMail, total: SplitResult) -> None:
    raw = row.read()
    rest, pieces = split_raw(raw)
    if not pieces:
        return
    codec, data = pack(rest)
    with transaction.atomic():
        done = RawMail.objects.filter(pk=row.pk, pieces=[], codec=row.codec, size=row.size).update(
            codec=codec, data=data, pieces=pieces
        )
    if done:
        total.split += 1
        total.bytes_before += len(bytes(row.data))
        total.bytes_after += len(data)
