"""The ticket e-mail channel's tables: the raw inbound store with its ticket link (and
quarantine), postmaster filters, how a mail account dispatches into queues, and which queued
mail carries which ticket's mail.

The transport below (:mod:`otrs.mail`) knows none of these: it hands raw bytes to the channel
(:mod:`tickets.postmaster.intake`) and reports delivery outcomes by message id
(:mod:`tickets.deliveries`). The inbound store and the filters were ``otrs.mail`` models once;
they keep their tables (``mail_*``), see migration ``0007_mail_channel``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import io
import os
import re
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.bulk import insert


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --- "the same mail": the fingerprint ----------------------------------------------------------

# Header fields that the delivery adds or changes, not the sender: two copies of one mail
# delivered to two of our addresses (or our own mail coming back through a relay) differ only
# in these. README, "When is a mail already stored".
TRANSPORT_HEADERS = frozenset(
    {
        "received",
        "x-received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "x-envelope-from",
        "x-envelope-to",
        "x-rcpt-to",
        "x-original-rcpt-to",
        "authentication-results",
        "arc-authentication-results",
        "arc-message-signature",
        "arc-seal",
        "received-spf",
    }
)
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_LINE_END = re.compile(rb"\r\n|\r|\n")


def fingerprint(raw: bytes) -> str:
    """The sha256 of a mail without its transport header fields and with its line ends made
    ``\n``: equal for two deliveries of the same mail, different as soon as one byte of what
    the sender wrote (any other header, the body) differs; the Message-ID is part of it.

    Only the header block is read line by line; the body is hashed with its line ends made
    ``\n`` by byte replacements, a block at a time (a 1 MiB body split into lines took 50
    ms)."""
    digest = hashlib.sha256()
    skipping = False
    position = 0
    for end in _LINE_END.finditer(raw):
        line = raw[position : end.start()]
        if not line:
            # The end of the header block: the rest is taken as it is, line ends made \n.
            _update_unix_line_ends(digest, raw, position)
            return digest.hexdigest()
        skipping = _fingerprint_line(digest, line, skipping)
        position = end.end()
    if position < len(raw):  # a last header line without a line end
        _fingerprint_line(digest, raw[position:], skipping)
    return digest.hexdigest()


def _fingerprint_line(digest, line: bytes, skipping: bool) -> bool:
    """Hash one header line unless it belongs to a transport field; whether it does."""
    if line[:1] in (b" ", b"\t"):
        if not skipping:
            digest.update(line + b"\n")
        return skipping
    name = _HEADER_NAME.match(line)
    skipping = name is not None and name.group(1).decode("ascii").lower() in TRANSPORT_HEADERS
    if not skipping:
        digest.update(line + b"\n")
    return skipping


# Bytes of a body made ``\n``-ended at a time: a copy of a whole large body (and a second one
# for lone CRs) cost more in page faults than the replacements in it.
_LINE_END_BLOCK = 64 * 1024


def _update_unix_line_ends(digest, raw: bytes, start: int) -> None:
    """``digest.update(_unix_line_ends(raw[start:]))`` a block at a time (a CR LF is never
    split between two blocks)."""
    if raw.find(b"\r", start) == -1:
        digest.update(memoryview(raw)[start:])
        return
    size = len(raw)
    while start < size:
        end = min(start + _LINE_END_BLOCK, size)
        if end < size and raw[end - 1] == 13:  # a CR at the block's end: take its LF along
            end += 1
        digest.update(_unix_line_ends(raw[start:end]))
        start = end


_LONE_CR = re.compile(rb"\r(?!\n)")


def _unix_line_ends(data: bytes) -> bytes:
    """``data`` with each ``\r\n``, ``\r`` and ``\n`` made ``\n`` (as ``_LINE_END`` splits)."""
    if b"\r" not in data:
        return data
    if _LONE_CR.search(data) is None:
        # Every CR comes before an LF (the usual CR LF mail): dropping the CRs is the same,
        # and a byte table does it in a quarter of the time of a pattern replacement.
        return data.translate(None, b"\r")
    data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\r", b"\n") if b"\r" in data else data


# --- the raw store: every raw mail once --------------------------------------------------------

# Runs of base64 lines (at least 8 of them); only runs of at least PIECE_MIN_BYTES are stored
# apart, and only when encoding the decoded bytes again gives back exactly the same run.
_BASE64_RUN = re.compile(
    rb"(?:^[A-Za-z0-9+/=]{4,998}(?:\r\n|\n))(?:[A-Za-z0-9+/=]{4,998}(?:\r\n|\n)){7,}", re.M
)
PIECE_MIN_BYTES = 8 * 1024
# zlib only when it saves at least this share (images, archives and PDFs do not compress).
_ZLIB_WORTH = 0.9


def blob_name(sha256: str) -> str:
    """The content-addressed name of a file in the attachment storage."""
    return f"cas/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def save_blob(content: bytes, sha256: str | None = None) -> str:
    """Put ``content`` into the attachment storage under its sha256 (once: a file that is
    there already is the same bytes, and is touched); returns its name."""
    sha256 = sha256 or content_hash(content)
    name = blob_name(sha256)
    storage = storages["attachments"]
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(content))
        if saved != name:
            # Written at the same moment by another worker: the same bytes, keep one.
            storage.delete(saved)
    else:
        touch_blob(storage, name)
    return name


def store_piece(content: bytes, sha256: str) -> dict:
    """Store a decoded body where ``ATTACHMENT_STORAGE`` says (a ``cas/`` file, or a
    :class:`ContentBlob` row), once; returns what a raw mail's piece records of where."""
    if settings.ATTACHMENT_STORAGE == "db":
        ContentBlob.objects.put(content, sha256)
        return {"in": "db"}
    save_blob(content, sha256)
    return {}


def read_piece(piece: dict) -> bytes:
    """The decoded bytes of a raw mail's piece, from where :func:`store_piece` put them
    (pieces recorded before the database kept them have no ``in``: a file)."""
    if piece.get("in") == "db":
        return ContentBlob.objects.content(piece["sha256"])
    with storages["attachments"].open(blob_name(piece["sha256"]), "rb") as handle:
        return handle.read()


def touch_blob(storage, name: str) -> None:
    """Mark a stored file as just used: the orphan sweep (:mod:`tickets.mailstore`) leaves
    young files alone, so a file reused now is not removed before its reference commits.
    A storage without local paths has no such mark (see the README)."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        return
    with contextlib.suppress(OSError):
        os.utime(path)


def _encode_base64(data: bytes, line: int, eol: bytes) -> bytes:
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + line] + eol for i in range(0, len(encoded), line))


def _rebuilds(run: bytes, data: bytes, line: int, eol: bytes) -> bool:
    """Whether ``_encode_base64(data, line, eol) == run`` for ``data`` decoded from ``run``
    by ``binascii.a2b_base64`` (``run`` as ``_BASE64_RUN`` matches it: base64 characters and
    line ends only), without building that encoding or any other copy of its size (on this
    kind of VM a fresh megabyte-sized buffer costs more in page faults than the work in it).

    The decoding skips the line ends and turns every whole group of four characters into
    three bytes and back, one to one; so the encoding is ``run`` again exactly when the
    lengths agree, the line ends stand where the encoding puts them and nowhere else, no
    padding stands before the last group, and that last group (which may leave bits unused)
    encodes back to itself. Each of these is a scan in C."""
    if line <= 0:
        return False
    size = -(-len(data) // 3) * 4  # the length of the encoding
    count = -(-size // line)
    width = line + len(eol)
    if not data or len(run) != size + count * len(eol) or not run.endswith(eol):
        return False
    # The line ends after every full line and at the end (checked above), none elsewhere.
    full = count - (size % line != 0)
    for offset, byte in enumerate(eol):
        if run[line + offset : full * width : width] != bytes((byte,)) * full:
            return False
    for end_byte in (b"\r", b"\n"):
        if run.count(end_byte) != eol.count(end_byte) * count:
            return False
    end = len(run) - len(eol)
    pad = run.find(b"=")
    if pad != -1 and (pad < end - 2 or run[pad:end] != b"=" * (end - pad)):
        return False
    last = run[max(0, end - 4 - len(eol)) : end].replace(eol, b"")[-4:]
    return binascii.b2a_base64(data[-(len(data) % 3 or 3) :], newline=False) == last


# What :func:`split_raw` decoded: where a base64 body starts in the raw mail → (where it
# ends, its decoded bytes, their sha256). Handed on to the parser and the attachments, so a
# body is decoded and hashed once (see ``RawMail.bodies``).
DecodedBodies = dict[int, tuple[int, bytes, str]]


def split_raw(raw: bytes, decoded: DecodedBodies | None = None) -> tuple[bytes, list[dict]]:
    """``raw`` without the base64 bodies that can be rebuilt exactly from their decoded bytes
    (Dovecot's single-instance attachment check), and where to put them back. ``decoded``
    (when given) receives each body taken out, decoded, with its sha256."""
    kept: list[bytes] = []
    pieces: list[dict] = []
    position = at = 0
    for match in _BASE64_RUN.finditer(raw):
        run = match.group(0)
        if len(run) < PIECE_MIN_BYTES:
            continue
        eol = b"\r\n" if run.find(b"\r\n") == run.find(b"\n") - 1 else b"\n"
        line = run.find(eol)
        try:
            # Not validated here: the rebuild check below accepts only the exact encoding.
            data = binascii.a2b_base64(run)
        except (binascii.Error, ValueError):
            continue
        if not _rebuilds(run, data, line, eol):
            continue  # another line length, mixed line ends, stray padding: kept verbatim
        sha = content_hash(data)
        where = store_piece(data, sha)
        if decoded is not None:
            decoded[match.start()] = (match.end(), data, sha)
        kept.append(raw[position : match.start()])
        at += match.start() - position
        position = match.end()
        pieces.append({"at": at, "sha256": sha, "line": line, "eol": eol.decode(), **where})
    if not pieces:
        return raw, []
    kept.append(raw[position:])
    return b"".join(kept), pieces


def pack(data: bytes) -> tuple[str, bytes]:
    """(codec, stored bytes): zlib level 6 when that pays, else as it is."""
    if len(data) >= 256:
        packed = zlib.compress(data, 6)
        if len(packed) < len(data) * _ZLIB_WORTH:
            return "zlib", packed
    return "", data


def unpack(codec: str, data: bytes, pieces: list[dict]) -> bytes:
    """The bytes :func:`pack` and :func:`split_raw` were given back: decompressed, with the
    base64 bodies put back from their files or blobs (and the packed bytes themselves
    from theirs when a ``rest`` piece names them: see :meth:`RawMailManager.build`)."""
    if pieces and pieces[0].get("rest"):
        data, pieces = read_piece(pieces[0]), pieces[1:]
    if codec == "zlib":
        data = zlib.decompress(data)
    if not pieces:
        return data
    out: list[bytes] = []
    position = 0
    for piece in pieces:
        out.append(data[position : piece["at"]])
        position = piece["at"]
        content = read_piece(piece)
        out.append(_encode_base64(content, piece["line"], piece["eol"].encode()))
    out.append(data[position:])
    return b"".join(out)


def compress_blob(content: bytes) -> tuple[bool, bytes]:
    """(compressed, stored bytes) for a :class:`ContentBlob`: zlib level 6 when that saves
    at least a tenth. A sample is tried first (level 1, 64 KiB), so an image, archive or PDF
    costs a fraction of a millisecond per MiB instead of a whole failed compression."""
    if len(content) < 256:
        return False, content
    if len(content) > _SAMPLE_BYTES:
        sample = content[:_SAMPLE_BYTES]
        if len(zlib.compress(sample, 1)) >= len(sample) * _ZLIB_WORTH:
            return False, content
    packed = zlib.compress(content, 6)
    if len(packed) < len(content) * _ZLIB_WORTH:
        return True, packed
    return False, content


_SAMPLE_BYTES = 64 * 1024

# The most stored bytes a blob row or chunk row holds (see ContentBlob).
BLOB_CHUNK_BYTES = 1024 * 1024


def _inflated(inflate, data: bytes, *, final: bool = False) -> Iterator[bytes]:
    """``data`` decompressed by ``inflate`` (as it is without one), in pieces of at most
    :data:`BLOB_CHUNK_BYTES`."""
    if inflate is None:
        if data:
            yield data
        return
    while data:
        out = inflate.decompress(data, BLOB_CHUNK_BYTES)
        data = inflate.unconsumed_tail
        if out:
            yield out
    if final:
        while out := inflate.decompress(b"", BLOB_CHUNK_BYTES):
            yield out
        if not inflate.eof:
            raise ValueError("stored file: compressed data ends early")


class ContentBlobManager(models.Manager["ContentBlob"]):
    def put(self, content: bytes, sha256: str | None = None) -> ContentBlob:
        """The row holding ``content``, made now unless the same bytes are there already.

        A row that is there is touched (``used_at``) in the same statement that finds it,
        so the orphan sweep, which deletes only rows unused for its grace period, cannot
        take it before the caller's reference commits. Two workers storing the same new
        bytes at once make one row (an upsert on the primary key)."""
        sha = sha256 or content_hash(content)
        now = timezone.now()
        if self.filter(pk=sha).update(used_at=now):
            return ContentBlob(sha256=sha, size=len(content), used_at=now)
        compressed, data = compress_blob(content)
        if len(data) > BLOB_CHUNK_BYTES:
            return self._put_chunked(sha, len(content), compressed, data, now)
        blob = ContentBlob(
            sha256=sha, size=len(content), compressed=compressed, data=data, used_at=now
        )
        # MariaDB/MySQL: ON DUPLICATE KEY UPDATE, which names no conflict target.
        target = connections[self.db].features.supports_update_conflicts_with_target
        self.bulk_create(
            [blob],
            update_conflicts=True,
            update_fields=["used_at"],
            unique_fields=["sha256"] if target else None,
        )
        blob.data = b""  # not kept in memory: the caller has the bytes
        return blob

    def _put_chunked(self, sha: str, size: int, compressed: bool, data: bytes, now) -> ContentBlob:
        """Store bytes larger than one row: the first :data:`BLOB_CHUNK_BYTES` in the blob
        row, the rest in :class:`ContentChunk` rows, one ``INSERT`` each (so no statement
        is larger than a chunk, whatever MariaDB's ``max_allowed_packet``), all in one
        transaction. The blob row goes first, in a savepoint: a writer storing the same
        bytes at this moment waits for it, and whoever loses keeps the winner's rows."""
        count = -(-len(data) // BLOB_CHUNK_BYTES) - 1
        view = memoryview(data)
        blob = ContentBlob(
            sha256=sha,
            size=size,
            compressed=compressed,
            data=bytes(view[:BLOB_CHUNK_BYTES]),
            chunks=count,
            used_at=now,
        )
        with transaction.atomic(using=self.db, savepoint=False):
            try:
                with transaction.atomic(using=self.db):
                    blob.save(force_insert=True, using=self.db)
            except IntegrityError:
                self.filter(pk=sha).update(used_at=now)
                return ContentBlob(sha256=sha, size=size, used_at=now)
            # Chunk rows of a blob row deleted by hand would block these: ours now (the row
            # is locked by our insert, nobody else writes its chunks).
            ContentChunk.objects.using(self.db).filter(blob_id=sha).delete()
            for seq in range(1, count + 1):
                piece = view[seq * BLOB_CHUNK_BYTES : (seq + 1) * BLOB_CHUNK_BYTES]
                ContentChunk.objects.using(self.db).create(blob_id=sha, seq=seq, data=bytes(piece))
        blob.data = b""
        return blob

    def stream(self, sha256: str) -> Iterator[bytes]:
        """The exact bytes stored under ``sha256``, a piece at a time: one query per stored
        row, each decompressed in steps of at most :data:`BLOB_CHUNK_BYTES` (a row that
        inflates a thousandfold is never a gigabyte in memory). Raises ``DoesNotExist`` for
        a missing blob, ``ValueError`` for a missing chunk row, when the first piece or that
        chunk is asked for."""
        compressed, data, chunks = (
            self.filter(pk=sha256).values_list("compressed", "data", "chunks").get()
        )
        inflate = zlib.decompressobj() if compressed else None
        yield from _inflated(inflate, bytes(data))
        for seq in range(1, chunks + 1):
            rows = ContentChunk.objects.using(self.db).filter(blob_id=sha256, seq=seq)
            piece = rows.values_list("data", flat=True).first()
            if piece is None:
                raise ValueError(f"stored file {sha256}: chunk {seq} of {chunks} is missing")
            yield from _inflated(inflate, bytes(piece))
        if inflate is not None:
            yield from _inflated(inflate, b"", final=True)

    def content(self, sha256: str) -> bytes:
        """The exact bytes stored under ``sha256`` (one query, and one per chunk row of a
        large file; raises ``DoesNotExist``)."""
        pieces = list(self.stream(sha256))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


class ContentBlob(models.Model):
    """The bytes of one file, stored once in the database whoever refers to them
    (attachments, the base64 bodies of raw mails; ``ATTACHMENT_STORAGE=db``): keyed by their
    sha256, zlib-compressed when that pays.

    The stored bytes (compressed or not) are cut into rows of at most
    :data:`BLOB_CHUNK_BYTES`: the first is ``data``, the others ``chunks``
    :class:`ContentChunk` rows. Every statement then stays far below MariaDB/MySQL's
    ``max_allowed_packet`` (16 MiB by default), and a file is read back a row at a time
    (:meth:`ContentBlobManager.stream`)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField(_("size"))
    compressed = models.BooleanField(default=False)
    # The first BLOB_CHUNK_BYTES of the stored bytes; all of them for most files.
    data = models.BinaryField()
    # How many ContentChunk rows hold the rest (sequence numbers 1 to chunks).
    chunks = models.PositiveIntegerField(default=0)
    # Stored or reused last: the orphan sweep (tickets/mailstore.py) leaves rows younger
    # than its grace period alone, as a writer may be about to refer to them.
    used_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ContentBlobManager()

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"

    def read(self) -> bytes:
        """The exact bytes that were stored (read from the row now: an instance that
        :meth:`ContentBlobManager.put` returned holds no bytes)."""
        return ContentBlob.objects.content(self.pk)


class ContentChunk(models.Model):
    """A further :data:`BLOB_CHUNK_BYTES` of a large :class:`ContentBlob`'s stored bytes.

    No foreign-key constraint in the database: the orphan sweep deletes a blob row first
    (under the conditions that it is unused) and then its chunks, in one transaction,
    which an immediate constraint (MariaDB) would refuse. The ORM still cascades."""

    blob = models.ForeignKey(
        ContentBlob,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,  # the unique (blob, seq) serves every look-up by blob
        related_name="+",
    )
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        verbose_name = _("stored file chunk")
        verbose_name_plural = _("stored file chunks")
        constraints = [
            # The read of a blob's chunk by its number, and no chunk twice.
            models.UniqueConstraint(fields=["blob", "seq"], name="contentchunk_blob_seq")
        ]

    def __str__(self) -> str:
        return f"{self.blob_id[:12]} #{self.seq}"


class BlobFile(io.RawIOBase):
    """A read-only file over :meth:`ContentBlobManager.stream` (a download of a large file
    holds one piece at a time, not the whole file)."""

    def __init__(self, pieces: Iterator[bytes]):
        super().__init__()
        self._pieces = pieces
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._buffer = piece
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class RawMailManager(models.Manager["RawMail"]):
    def put(self, raw: bytes | RawMail) -> RawMail:
        """The stored copy of ``raw``, made now unless the same bytes are there already
        (a unique sha256: two workers storing the same bytes at once make one row). A
        :class:`RawMail` given is that copy already (the inbound store's, handed on to the
        article): nothing is read or written again."""
        if isinstance(raw, RawMail):
            return raw
        raw = bytes(raw)
        sha = content_hash(raw)
        found = self.filter(sha256=sha).first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return self.make(raw, sha)
        except IntegrityError:
            return self.get(sha256=sha)

    def make(self, raw: bytes, sha: str | None = None) -> RawMail:
        """Insert ``raw`` as a new row, without looking for it first: the unique sha256
        raises :class:`~django.db.IntegrityError` when the bytes are there already (the
        caller's transaction is then to be rolled back; :meth:`put` looks first).
        The row returned holds in ``bodies`` the base64 bodies it took out, decoded."""
        row = self.build(raw, sha)
        # One hand-built statement (no signals are connected to this model): every
        # received mail writes one.
        insert(RawMail, [row], using=self._db)
        return row

    def build(self, raw: bytes, sha: str | None = None) -> RawMail:
        """The row :meth:`make` inserts, not inserted yet (its large base64 bodies are
        stored already, as files by their sha256): for a caller that inserts it together
        with the row that refers to it (:func:`otrs.bulk.insert_with_parent`)."""
        pieces: list[dict] = []
        rest = raw
        bodies: DecodedBodies = {}
        if len(raw) >= PIECE_MIN_BYTES:
            rest, pieces = split_raw(raw, bodies)
        codec, data = pack(rest)
        if len(data) > BLOB_CHUNK_BYTES:
            # What is left is still larger than a row should be (base64 kept verbatim, an
            # 8-bit or uuencoded part): MariaDB refuses a statement or a row over its
            # max_allowed_packet (16 MiB by default), so it goes where large files go (rows
            # of at most 1 MiB, or a cas/ file), named by the first piece (``rest``).
            rest_sha = content_hash(data)
            pieces = [{"sha256": rest_sha, "rest": True, **store_piece(data, rest_sha)}, *pieces]
            data = b""
        row = RawMail(
            sha256=sha or content_hash(raw), size=len(raw), codec=codec, data=data, pieces=pieces
        )
        row.bodies = bodies
        return row


class RawMail(models.Model):
    """The bytes of one mail, stored once whoever refers to them (the inbound store, the
    article's raw source): compressed when that pays, and without the base64 bodies that
    are kept as content-addressed files (``pieces``), put back on every read."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField(_("size"))
    codec = models.CharField(max_length=8, blank=True)
    data = models.BinaryField()
    pieces = models.JSONField(default=list, blank=True)
    # For the orphan sweep's grace period (tickets/mailstore.py): a row younger than it may
    # be about to be referred to.
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RawMailManager()

    # Set by :meth:`RawMailManager.make` on the row it made: the base64 bodies it took out of
    # the bytes, decoded (see :data:`DecodedBodies`), for the parser and the attachments of
    # the same worker; None on a row read from the database.
    bodies: DecodedBodies | None = None

    class Meta:
        verbose_name = _("raw mail")
        verbose_name_plural = _("raw mails")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} bytes)"

    def read(self) -> bytes:
        """The exact bytes that were stored."""
        return unpack(self.codec, bytes(self.data), self.pieces)

    def stored_bytes(self) -> int:
        return len(self.data)


# --- mail accounts' dispatch -------------------------------------------------------------------


class Dispatch(models.TextChoices):
    QUEUE = "queue", _("into the account's queue")
    RECIPIENT = "recipient", _("by recipient (system addresses)")


class MailAccountDispatch(models.Model):
    """Where the mail fetched from one account goes (OTRS ``mail_account.queue_id`` and
    ``dispatching_by``); an account without a row dispatches by recipient."""

    account = models.OneToOneField(
        "mail.MailAccount",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dispatching",
        verbose_name=_("mail account"),
    )
    dispatch = models.CharField(
        _("dispatching"), max_length=20, choices=Dispatch.choices, default=Dispatch.RECIPIENT
    )
    queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("queue"),
        help_text=_("Required when dispatching into the account's queue."),
    )

    class Meta:
        verbose_name = _("dispatching")
        verbose_name_plural = _("dispatching")

    def __str__(self) -> str:
        return f"{self.account}: {self.get_dispatch_display()}"

    @property
    def forced_queue(self):
        """The queue every message of the account goes into, or None (by recipient)."""
        return self.queue if self.dispatch == Dispatch.QUEUE else None


# --- the raw inbound store ---------------------------------------------------------------------


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("received, not processed yet")
    # Claimed by one worker until ``claimed_until``; after that the sweep takes it over.
    PROCESSING = "processing", _("being processed")
    PROCESSED = "processed", _("processed")
    IGNORED = "ignored", _("ignored by a filter")
    QUARANTINED = "quarantined", _("quarantined")


class InboundSource(models.TextChoices):
    PIPE = "pipe", _("MTA pipe")
    ACCOUNT = "account", _("mail account")
    UPLOAD = "upload", _("uploaded by an administrator")
    LMTP = "lmtp", _("LMTP delivery")


class Outcome(models.TextChoices):
    NEW_TICKET = "new_ticket", _("new ticket")
    FOLLOW_UP = "follow_up", _("follow-up")
    REJECTED = "rejected", _("follow-up rejected (stored on the closed ticket)")
    NEW_TICKET_FOR_CLOSED = "new_ticket_for_closed", _("new ticket for a closed one")
    BOUNCE = "bounce", _("bounce of our mail")
    IGNORED = "ignored", _("ignored")
    DUPLICATE = "duplicate", _("already stored")


class QuarantineReason(models.TextChoices):
    """Why a message is quarantined: stored as this code (and its figures in
    ``error_params``), put into words in the reader's language when shown."""

    TOO_LARGE = "too_large", _("too large")
    UNREADABLE = "unreadable", _("stored copy unreadable")
    NOT_MAIL = "not_mail", _("not an email message")
    DATABASE = "database", _("database error")
    FAILED = "failed", _("processing failed")


# The sentence for each reason; %(error)s is the technical detail (``error``: an exception's
# own text, as the library or server wrote it, never translated).
QUARANTINE_TEXTS = {
    QuarantineReason.TOO_LARGE: _(
        "The message is %(size)d bytes, more than the limit of %(limit)d bytes."
    ),
    QuarantineReason.UNREADABLE: _("The stored message cannot be read: %(error)s"),
    QuarantineReason.NOT_MAIL: _("Not an email message: %(error)s"),
    QuarantineReason.DATABASE: _("Database error: %(error)s"),
    QuarantineReason.FAILED: _("Processing failed: %(error)s"),
}


class InboundMessage(models.Model):
    """One received mail, stored before anything else happens to it (design rule 7).

    A message that fails to process stays here, quarantined with its error, until an
    administrator reprocesses it. Its bytes are a :class:`RawMail` that the article's raw
    source shares. ``fingerprint`` is unique: a second delivery of the same mail (see
    :func:`fingerprint`) is never a second row, however many workers store it at once.
    """

    blob = models.ForeignKey(
        RawMail, on_delete=models.PROTECT, related_name="+", verbose_name=_("raw message")
    )
    size = models.PositiveBigIntegerField(_("size"))
    # The exact bytes' hash (the blob's); "the same mail" is the fingerprint's business.
    sha256 = models.CharField(max_length=64)
    # Null only for rows stored before the rule (a re-delivery that made a second row then).
    fingerprint = models.CharField(max_length=64, null=True, blank=True, unique=True)
    message_id = models.TextField(_("message id"), blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    from_address = models.TextField(_("from"), blank=True)
    # The envelope recipients the MTA named (LMTP's RCPT TO); empty for other sources.
    envelope_recipients = models.JSONField(_("envelope recipients"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=InboundSource.choices)
    account = models.ForeignKey(
        "mail.MailAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mail account"),
    )
    trusted = models.BooleanField(_("trusted"), default=False)
    forced_queue = models.ForeignKey(
        "tickets.Queue",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("forced queue"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    # A quarantine's reason (QuarantineReason), its figures, and the technical detail.
    error_code = models.CharField(
        _("reason"), max_length=12, choices=QuarantineReason.choices, blank=True
    )
    error_params = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error detail"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    article = models.ForeignKey(
        "tickets.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )

    class Meta:
        db_table = "mail_inboundmessage"
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status")]

    # Set by tickets.postmaster.intake.receive on the row it returns for a re-delivery.
    is_duplicate = False

    # Set by tickets.postmaster.intake.store on a row it just made: the bytes it stored,
    # so that processing them right after does not read them back.
    raw_bytes: bytes | None = None

    def __str__(self) -> str:
        return self.subject or self.message_id or f"#{self.pk}"

    @property
    def error_text(self) -> str:
        """The quarantine's reason in the active language (rows quarantined before reasons
        were codes hold their sentence in ``error``, shown as it is)."""
        text = QUARANTINE_TEXTS.get(self.error_code)  # type: ignore[call-overload]
        if text is None:
            return self.error
        return str(text) % {"error": self.error, **(self.error_params or {})}

    @property
    def raw(self) -> bytes:
        """The message exactly as it was received."""
        return self.blob.read()


# --- postmaster filters ------------------------------------------------------------------------


class PostmasterFilter(models.Model):
    """Match header rules (all must hold) and set X-OTRS headers; run in name order."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    stop = models.BooleanField(
        _("stop after match"), default=False, help_text=_("Later filters do not run.")
    )
    is_valid = models.BooleanField(_("valid"), default=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)

    class Meta:
        db_table = "mail_postmasterfilter"
        verbose_name = _("postmaster filter")
        verbose_name_plural = _("postmaster filters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FilterMatch(models.Model):
    """One header rule of a filter: the header's value must (or must not) match."""

    filter = models.ForeignKey(PostmasterFilter, on_delete=models.CASCADE, related_name="matches")
    header = models.CharField(
        _("header"), max_length=200, help_text=_("For example From, Subject or X-Spam-Flag.")
    )
    pattern = models.CharField(
        _("regular expression"),
        max_length=1000,
        help_text=_("Case-insensitive; EMAILADDRESS:<expression> tests each address."),
    )
    negate = models.BooleanField(_("must not match"), default=False)

    class Meta:
        db_table = "mail_filtermatch"
        verbose_name = _("match rule")
        verbose_name_plural = _("match rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header} {'!~' if self.negate else '=~'} {self.pattern}"


class FilterSet(models.Model):
    """One header a matching filter sets on the mail."""

    filter = models.ForeignKey(PostmasterFilter, on_delete=models.CASCADE, related_name="sets")
    header = models.CharField(
        _("header"), max_length=200, help_text=_("An X-OTRS-* header, such as X-OTRS-Queue.")
    )
    value = models.CharField(
        _("value"),
        max_length=1000,
        help_text=_("[***] is the first group of the last match; [** \\name **] a named group."),
    )

    class Meta:
        db_table = "mail_filterset"
        verbose_name = _("set rule")
        verbose_name_plural = _("set rules")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.header}: {self.value}"


# --- deliveries of ticket mail -----------------------------------------------------------------


class MailDelivery(models.Model):
    """Which queued mail (:class:`otrs.mail.models.OutboundMessage`) carries a ticket's mail,
    and of which article; how it fared is on the queued message."""

    message = models.OneToOneField(
        "mail.OutboundMessage",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ticket_delivery",
        verbose_name=_("outgoing message"),
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        related_name="mail_deliveries",
        verbose_name=_("ticket"),
    )
    article = models.ForeignKey(
        "tickets.Article",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("article"),
    )

    class Meta:
        verbose_name = _("mail delivery")
        verbose_name_plural = _("mail deliveries")

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.article_id or '-'}: {self.message_id}"
