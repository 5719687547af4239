"""The data migrations keep every row and every byte, forwards and backwards.

One walk through the migration graph checks them all: going back to the oldest schema a
check needs and forwards in steps, each step leaves old-shaped rows at the schema before its
migration; at the newest schema every check reads its rows through today's models; then the
walk goes back step by step, each check reading its old columns again, and forwards once
more. A walk back and forth costs minutes on MariaDB (its schema changes are not
transactional and copy tables), so the checks share one instead of each making its own.

- the e-mail channel moved out of the mail transport (tickets 0007, mail 0003): an account
  dispatching into a queue, a stored inbound message, a postmaster filter, a queued mail of
  an article;
- the shared raw store (tickets 0010): article raw sources and inbound rows (raw kept, or
  cleared after processing) become RawMail rows, the same bytes once;
- calendar names of queues and SLAs become references (tickets 0016): a known name its
  calendar, an unknown one the default;
- mail accounts' stored error sentences (English or German) become codes (mail 0008);
- attachments kept in the database move into content-addressed blobs (tickets 0023): the same
  bytes one row, files in the file storage left alone;
- stored files longer than one chunk are cut into chunk rows (tickets 0032), compressed or
  not, and joined into their row again backwards;
- mail accounts' OAuth2 errors stored as translated sentences keep only the provider's words
  (mail 0009).
"""

from __future__ import annotations

import os
import zlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from otrs.calendars.models import Calendar
from otrs.mail.models import MailAccount, OutboundMessage
from tests import factories
from tickets.models import (
    SLA,
    ArticleRaw,
    Attachment,
    ContentBlob,
    ContentChunk,
    Dispatch,
    InboundMessage,
    MailDelivery,
    PostmasterFilter,
    Queue,
)
from tickets.models.mail import BLOB_CHUNK_BYTES, content_hash, fingerprint

MAIL_CHANNEL = [
    ("tickets", "0006_customer_user_ci_index"),
    ("mail", "0002_outbound_idempotency_key"),
]
RAW_STORE = [("tickets", "0009_escalation_and_pending")]
CALENDARS = [("tickets", "0015_metrics_and_time_accounting")]
ERROR_CODES = [("mail", "0007_outbound_raw_shared")]
BLOBS = [("tickets", "0022_content_blobs")]
CHUNKS = [("tickets", "0031_content_blob_chunks")]
OAUTH_WORDS = [("mail", "0008_account_error_codes")]
# Stored before → kept by mail 0009.
OAUTH_ERRORS = {
    "datamig oauth en": ("no refresh token is stored; connect the account", ""),
    "datamig oauth de": ("es ist kein Refresh-Token gespeichert; verbinden Sie das Konto", ""),
    "datamig oauth wrapped": (
        "The OAuth2 token can no longer be refreshed (invalid_grant: Token expired (AADSTS)): "
        "connect the account again.",
        "invalid_grant: Token expired (AADSTS)",
    ),
    "datamig oauth timeout de": (
        "der Token-Endpunkt hat nicht rechtzeitig geantwortet oder war nicht erreichbar "
        "(ConnectTimeout)",
        "ConnectTimeout",
    ),
    "datamig oauth words": ("invalid_grant: AADSTS70008", "invalid_grant: AADSTS70008"),
}

ERROR_SENTENCES = {
    "datamig en": "mail.example.com:993 did not answer within 60 seconds.",
    "datamig de": "Die Verbindung zu mail.example.com:143 ist fehlgeschlagen: Connection reset",
    "datamig login": "mx:110 refused the login bob: [AUTH] Authentication failed.",
    "datamig other": "Something nobody wrote as a code.",
    "datamig none": "",
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def raw(n: int) -> bytes:
    head = f"From: a@b.test\r\nSubject: {n}\r\nMessage-ID: <{n}@datamig.test>\r\n\r\n"
    return (head + "x" * 500 + "\r\n").encode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_data_migrations_keep_every_row_forwards_and_backwards():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    misc = Queue.objects.get(full_name="Misc")
    ticket = factories.ticket(misc, title="datamig channel")
    article = ticket.articles.get()
    stored = factories.ticket(misc, title="datamig raw store")
    first, second = stored.articles.get(), factories.note(stored)
    berlin = Calendar.objects.create(name="datamig Berlin", time_zone="Europe/Berlin")
    shared, text = os.urandom(5000), b"a text file that compresses well\n" * 300
    # Two files longer than a chunk: 2.5 MiB of random bytes, and a zlib row of 1.5 MiB.
    large = os.urandom(5 * 512 * 1024)
    large_packed = os.urandom(1024 * 1024) + bytes(4 * 1024 * 1024) + os.urandom(512 * 1024)
    made: dict = {}
    try:
        # --- forwards, leaving old-shaped rows before each migration -------------------------
        old = _migrate(MAIL_CHANNEL)
        account = old.get_model("mail", "MailAccount").objects.create(
            name="datamig box", protocol="imap", host="mail.test", login="l", password="p",
            dispatch="queue", queue_id=misc.pk,
        )  # fmt: skip
        made["inbound"] = old.get_model("mail", "InboundMessage").objects.create(
            raw=b"raw", size=3, sha256="0" * 64, source="account", account_id=account.pk,
            ticket_id=ticket.pk, article_id=article.pk, status="processed",
        )  # fmt: skip
        spam = old.get_model("mail", "PostmasterFilter").objects.create(name="datamig spam")
        old.get_model("mail", "FilterMatch").objects.create(
            filter=spam, header="X-Spam-Flag", pattern="YES"
        )
        OldOutbound = old.get_model("mail", "OutboundMessage")
        made["answer"] = OldOutbound.objects.create(
            kind="article", envelope_from="a@b.test", recipients=["c@d.test"], raw=b"x",
            ticket_id=ticket.pk, article_id=article.pk,
        )  # fmt: skip
        made["system"] = OldOutbound.objects.create(
            kind="system", envelope_from="a@b.test", recipients=["c@d.test"], raw=b"y"
        )

        old = _migrate(RAW_STORE)
        OldRaw = old.get_model("tickets", "ArticleRaw")
        OldInbound = old.get_model("tickets", "InboundMessage")
        OldRaw.objects.create(article_id=first.pk, content=raw(1))
        OldRaw.objects.create(article_id=second.pk, content=raw(1))  # the same bytes twice
        fields = {"size": 1, "sha256": "0" * 64, "source": "pipe", "status": "processed"}
        # Processed: its raw was cleared, the article keeps it.
        made["cleared"] = OldInbound.objects.create(raw=b"", article_id=first.pk, **fields)
        made["quarantined"] = OldInbound.objects.create(
            raw=raw(2), **{**fields, "status": "quarantined"}
        )

        old = _migrate(CALENDARS)
        OldQueue = old.get_model("tickets", "Queue")
        OldQueue.objects.filter(full_name="Misc").update(calendar=berlin.name)
        OldQueue.objects.filter(full_name="Raw").update(calendar="datamig Gone")
        old.get_model("tickets", "SLA").objects.create(name="datamig Gold", calendar=berlin.name)

        old = _migrate(ERROR_CODES)
        OldAccount = old.get_model("mail", "MailAccount")
        for name, sentence in ERROR_SENTENCES.items():
            OldAccount.objects.create(
                name=name, protocol="imap", host="h", login="l", last_error=sentence
            )

        old = _migrate(BLOBS)
        OldAttachment = old.get_model("tickets", "Attachment")
        made["attachments"] = [
            OldAttachment.objects.create(article_id=article.pk, filename=name, db_content=content)
            for name, content in (("a.bin", shared), ("b.bin", shared), ("c.txt", text))
        ]
        made["in_files"] = OldAttachment.objects.create(
            article_id=article.pk, filename="d.bin", file="cas/00/00/elsewhere"
        )

        old = _migrate(CHUNKS)
        OldBlob = old.get_model("tickets", "ContentBlob")
        for content, compressed in ((large, False), (large_packed, True)):
            OldBlob.objects.create(
                sha256=content_hash(content),
                size=len(content),
                compressed=compressed,
                data=zlib.compress(content) if compressed else content,
            )

        old = _migrate(OAUTH_WORDS)
        for name, (stored, _kept) in OAUTH_ERRORS.items():
            old.get_model("mail", "MailAccount").objects.create(
                name=name, protocol="imap", host="h", login="l", oauth_error=stored
            )
    finally:
        _migrate(latest)

    # --- at the newest schema, through today's models ---------------------------------------
    _check_mail_channel(ticket, article, misc, made)
    _check_raw_store(first, second, made)
    assert Queue.objects.get(full_name="Misc").calendar_id == berlin.pk
    assert Queue.objects.get(full_name="Raw").calendar_id is None
    assert SLA.objects.get(name="datamig Gold").calendar_id == berlin.pk
    _check_error_codes()
    _check_blobs(made, shared, text)
    _check_chunks(large, large_packed)
    oauth = MailAccount.objects.filter(name__in=OAUTH_ERRORS).values_list("name", "oauth_error")
    assert dict(oauth) == {name: kept for name, (_stored, kept) in OAUTH_ERRORS.items()}

    # --- and back, each step's old columns filled again --------------------------------------
    try:
        back = _migrate(CHUNKS)
        old_blobs = back.get_model("tickets", "ContentBlob").objects
        row = old_blobs.get(pk=content_hash(large))
        assert (bytes(row.data), row.chunks) == (large, 0)
        row = old_blobs.get(pk=content_hash(large_packed))
        assert zlib.decompress(bytes(row.data)) == large_packed
        assert not back.get_model("tickets", "ContentChunk").objects.exists()

        back = _migrate(BLOBS)
        ids = [m.pk for m in made["attachments"]]
        rows = back.get_model("tickets", "Attachment").objects.filter(pk__in=ids)
        assert sorted(bytes(r.db_content) for r in rows) == sorted([shared, shared, text])
        assert not rows.filter(blob__isnull=False).exists()

        back = _migrate(CALENDARS)
        slas = back.get_model("tickets", "SLA").objects.filter(name__startswith="datamig")
        assert dict(slas.values_list("name", "calendar")) == {"datamig Gold": berlin.name}

        back = _migrate(RAW_STORE)
        row = back.get_model("tickets", "ArticleRaw").objects.get(article_id=second.pk)
        assert bytes(row.content) == raw(1)
        inbound = back.get_model("tickets", "InboundMessage")
        assert bytes(inbound.objects.get(pk=made["quarantined"].pk).raw) == raw(2)

        back = _migrate(MAIL_CHANNEL)
        box = back.get_model("mail", "MailAccount").objects.get(name="datamig box")
        assert (box.dispatch, box.queue_id) == (Dispatch.QUEUE, misc.pk)
        row = back.get_model("mail", "OutboundMessage").objects.get(pk=made["answer"].pk)
        assert (row.ticket_id, row.article_id) == (ticket.pk, article.pk)
    finally:
        _migrate(latest)


def _check_mail_channel(ticket, article, misc, made) -> None:
    assert MailAccount.objects.get(name="datamig box").dispatching.forced_queue == misc
    assert InboundMessage.objects.get(pk=made["inbound"].pk).ticket == ticket
    spam = PostmasterFilter.objects.get(name="datamig spam")
    assert [m.pattern for m in spam.matches.all()] == ["YES"]
    link = MailDelivery.objects.get(message_id=made["answer"].pk)
    assert (link.ticket_id, link.article_id) == (ticket.pk, article.pk)
    assert not hasattr(OutboundMessage.objects.get(pk=made["system"].pk), "ticket_delivery")
    moved = ContentType.objects.filter(model__in=["inboundmessage", "postmasterfilter"])
    assert set(moved.values_list("app_label", flat=True)) == {"tickets"}


def _check_raw_store(first, second, made) -> None:
    stored = ArticleRaw.objects.get(article=first)
    assert stored.content == raw(1)
    assert ArticleRaw.objects.get(article=second).blob_id == stored.blob_id  # the bytes once
    cleared = InboundMessage.objects.get(pk=made["cleared"].pk)
    assert (cleared.raw, cleared.fingerprint) == (raw(1), fingerprint(raw(1)))
    quarantined = InboundMessage.objects.get(pk=made["quarantined"].pk)
    assert quarantined.raw == raw(2)
    assert quarantined.blob_id != stored.blob_id
    assert {stored.blob.codec, quarantined.blob.codec} == {"zlib"}


def _check_error_codes() -> None:
    rows = {a.name: a for a in MailAccount.objects.filter(name__in=ERROR_SENTENCES)}
    assert (rows["datamig en"].last_error_code, rows["datamig en"].last_error_params) == (
        "timeout",
        {"server": "mail.example.com:993", "seconds": 60},
    )
    assert rows["datamig de"].last_error_code == "connection"
    assert rows["datamig de"].last_error_params == {
        "server": "mail.example.com:143",
        "reason": "Connection reset",
    }
    assert rows["datamig login"].last_error_params == {
        "server": "mx:110",
        "login": "bob",
        "reason": "[AUTH] Authentication failed.",
    }
    with translation.override("de"):
        assert rows["datamig en"].last_error_text == (
            "mail.example.com:993 hat nicht innerhalb von 60 Sekunden geantwortet."
        )
    # A sentence no code matches stays as it was, and is shown as it is.
    assert rows["datamig other"].last_error_code == ""
    assert rows["datamig other"].last_error_text == "Something nobody wrote as a code."
    assert rows["datamig none"].last_error_text == ""


def _check_blobs(made, shared: bytes, text: bytes) -> None:
    made_ids = [m.pk for m in made["attachments"]]
    moved = {a.pk: a for a in Attachment.objects.filter(pk__in=made_ids)}
    assert [moved[pk].read() for pk in made_ids] == [shared, shared, text]
    assert [moved[pk].size for pk in made_ids] == [5000, 5000, len(text)]
    assert {moved[pk].blob_id for pk in made_ids} == {content_hash(shared), content_hash(text)}
    assert ContentBlob.objects.get(pk=content_hash(text)).compressed
    assert Attachment.objects.get(pk=made["in_files"].pk).blob_id is None


def _check_chunks(large: bytes, large_packed: bytes) -> None:
    for content, chunks in ((large, 2), (large_packed, 1)):
        row = ContentBlob.objects.get(pk=content_hash(content))
        assert row.chunks == chunks and len(bytes(row.data)) == BLOB_CHUNK_BYTES
        assert ContentChunk.objects.filter(blob_id=row.pk).count() == chunks
        assert ContentBlob.objects.content(row.pk) == content
