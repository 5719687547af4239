"""Articles (the messages of a ticket), their attachments, raw mail and seen flags."""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otrs.bulk import insert, insert_with_parent

from .. import generated
from ..choices import Channel, SenderType, TicketFlagKey
from .mail import BlobFile, ContentBlob, RawMail, blob_name, content_hash, touch_blob
from .ticket import Ticket


def message_id_hash(message_id: str) -> str:
    """The indexed form of a Message-ID (they can be longer than an index allows)."""
    return hashlib.md5(message_id.strip().encode(), usedforsecurity=False).hexdigest()


class Article(models.Model):
    """One message of a ticket: a mail, a phone call, a note or a web request."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="articles")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    sender_type = models.CharField(_("sender type"), max_length=10, choices=SenderType.choices)
    is_visible_for_customer = models.BooleanField(_("visible for customer"), default=False)
    from_address = models.TextField(_("from"), blank=True)
    reply_to = models.TextField(_("reply to"), blank=True)
    to_address = models.TextField(_("to"), blank=True)
    cc_address = models.TextField(_("cc"), blank=True)
    bcc_address = models.TextField(_("bcc"), blank=True)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    message_id = models.TextField(_("message id"), blank=True)
    message_id_md5 = models.CharField(max_length=32, blank=True, db_index=True)
    in_reply_to = models.TextField(_("in reply to"), blank=True)
    references = models.TextField(_("references"), blank=True)
    body = models.TextField(_("body"), blank=True)
    # Already sanitised with nh3 when stored; never rendered unsanitised.
    body_html = models.TextField(_("HTML body"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        # Zoom: the articles of a ticket in order.
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="article_ticket")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"

    def save(self, *args, **kwargs) -> None:
        self.message_id_md5 = message_id_hash(self.message_id) if self.message_id else ""
        super().save(*args, **kwargs)

    @property
    def shown_subject(self) -> str:
        """Subject and body in the reader's language where the system wrote them (the note
        a merge leaves): :mod:`tickets.generated`."""
        return generated.subject(self.subject)

    @property
    def shown_body(self) -> str:
        return generated.body(self.body)


class ArticleRawManager(models.Manager["ArticleRaw"]):
    def put(self, article: Article, content: bytes | RawMail) -> ArticleRaw:
        """The article's raw source, as a shared :class:`RawMail` (the same bytes are stored
        once, whoever else refers to them: the inbound store, another article); given a
        :class:`RawMail` (the inbound store's), that one."""
        raw = ArticleRaw(article=article, blob=RawMail.objects.put(content))
        insert(ArticleRaw, [raw], using=self.db)  # one hand-built insert (no signals here)
        return raw

    def put_with(self, article: Article, content: bytes | RawMail) -> ArticleRaw:
        """:meth:`put` for an ``article`` not inserted yet: it is inserted here, with its
        raw source in the same statement where the database allows it
        (:func:`otrs.bulk.insert_with_parent`)."""
        raw = ArticleRaw(blob=RawMail.objects.put(content))
        insert_with_parent(article, [raw], "article", using=self._db)
        return raw


class ArticleRaw(models.Model):
    """The raw source of a mail article, exactly as received or sent (shared bytes)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="raw")
    blob = models.ForeignKey(RawMail, on_delete=models.PROTECT, related_name="+")

    objects = ArticleRawManager()

    def __str__(self) -> str:
        return f"raw source of article {self.article_id}"

    @property
    def content(self) -> bytes:
        return self.blob.read()


class AttachmentStorage(Storage):
    """Hands every call to the storage configured as ``STORAGES["attachments"]`` *now*.

    A FileField resolves its storage once, when the model class is built; delegating on each
    call keeps the field following the configuration (a changed setting, a test override).
    """

    def _target(self) -> Storage:
        return storages["attachments"]

    def _open(self, name, mode="rb"):
        return self._target().open(name, mode)

    def _save(self, name, content):
        return self._target().save(name, content)

    def get_available_name(self, name, max_length=None):
        return self._target().get_available_name(name, max_length=max_length)

    def delete(self, name):
        return self._target().delete(name)

    def exists(self, name):
        return self._target().exists(name)

    def listdir(self, path):
        return self._target().listdir(path)

    def size(self, name):
        return self._target().size(name)

    def url(self, name):
        return self._target().url(name)

    def path(self, name):
        return self._target().path(name)


def attachment_storage() -> Storage:
    return AttachmentStorage()


class StoredFile(models.Model):
    """A named file whose bytes are kept in the database or in the attachment storage, by
    their hash: an article's attachment, or one kept with a draft."""

    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(
        _("content type"), max_length=255, default="application/octet-stream"
    )
    size = models.PositiveBigIntegerField(_("size"), default=0)
    # Exactly one of the two holds the bytes; see ATTACHMENT_STORAGE. Both are
    # content-addressed: the same bytes anywhere are one blob row or one file.
    blob = models.ForeignKey(
        ContentBlob,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    file = models.FileField(storage=attachment_storage, max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename

    @property
    def in_database(self) -> bool:
        return self.blob_id is not None

    def read(self) -> bytes:
        if self.blob_id is not None:
            return ContentBlob.objects.content(self.blob_id)
        with self.file.open("rb") as handle:
            return handle.read()

    def open_stream(self) -> io.RawIOBase | File:
        """The bytes as a file opened for reading, read a piece at a time from wherever
        they are (a download of a large file never holds all of it)."""
        if self.blob_id is not None:
            return BlobFile(ContentBlob.objects.stream(self.blob_id))
        return self.file.open("rb")

    def store(
        self, content: bytes | File, *, backend: str, sha256: str = "", stored: str = ""
    ) -> None:
        """Put ``content`` into ``backend`` ("db" or "fs"); the caller saves the row.

        In the file storage a file is named by its sha256 (``cas/ab/cd/<sha256>``), in the
        database it is a :class:`ContentBlob` keyed by it: the same bytes in a thread, a
        forward or a raw mail (:class:`RawMail` pieces) are one file or one row, written
        once, and no attachment ever deletes either (the orphan sweep does, see
        :mod:`tickets.mailstore` and :func:`file_in_use`).

        ``sha256``: the hash of ``content`` (bytes) when the caller has it. ``stored``: the
        caller put these bytes into ``backend`` under that hash a moment ago (the raw mail
        store, in this worker; the row or file is young for the orphan sweep), so neither
        is looked up, touched or written again."""
        if sha256 and not isinstance(content, File):
            self.size = len(content)
            if stored == backend == "db":
                self.blob = ContentBlob(sha256=sha256, size=self.size)
                self.file = ""
                return
            if stored == backend:
                self.blob = None
                self.file.name = blob_name(sha256)
                return
        if isinstance(content, File):
            content.seek(0)
            digest = hashlib.sha256()
            for chunk in content.chunks():
                digest.update(chunk)
            self.size = content.size
            content.seek(0)
            if backend == "db":
                content = content.read()
            sha = digest.hexdigest()
        else:
            self.size = len(content)
            sha = sha256 or content_hash(content)
        if backend == "db":
            self.blob = ContentBlob.objects.put(bytes(content), sha)
            self.file = ""
            return
        self.blob = None
        name = blob_name(sha)
        storage = self.file.storage
        if not storage.exists(name):
            upload = content if isinstance(content, File) else ContentFile(content)
            saved = storage.save(name, upload)
            if saved != name:
                storage.delete(saved)  # the same bytes, written at this moment by another
        else:
            touch_blob(storage, name)  # reused: young again for the orphan sweep
        self.file.name = name


class Attachment(StoredFile):
    """A file of an article, kept in the database or in the attachment storage."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    content_id = models.CharField(_("content id"), max_length=255, blank=True)
    disposition = models.CharField(_("disposition"), max_length=20, default="attachment")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]


def file_in_use(name: str, *, besides: int | None = None) -> bool:
    """Whether a stored file is still used by an attachment (other than ``besides``), a
    draft's attachment or is a piece of a raw mail: only then may it be deleted."""
    # Imported here: the composer's models build on this module's.
    from .composer import DraftAttachment

    users = Attachment.objects.filter(file=name)
    if besides is not None:
        users = users.exclude(pk=besides)
    if users.exists() or DraftAttachment.objects.filter(file=name).exists():
        return True
    sha = name.rsplit("/", 1)[-1]
    # A rare question (moving attachments between storages), asked the same way on every
    # database: JSON containment is not portable to SQLite.
    with_pieces = RawMail.objects.exclude(pieces=[]).values_list("pieces", flat=True)
    return any(
        p["sha256"] == sha and p.get("in") != "db"
        for pieces in with_pieces.iterator()
        for p in pieces
    )


class ArticleFlag(models.Model):
    """A per-agent flag on an article, such as seen."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=20, choices=TicketFlagKey.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user", "key"], name="uniq_article_flag")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.article_id} {self.user_id}"
