"""The inbound store loses nothing: raw bytes first whatever they hold, "already stored" only for
the same mail (fingerprint, a unique column), one claim per stored message, a sweep for what a
crash left behind; and the bytes are stored once (shared raw, content-addressed attachments,
compression), given back byte for byte."""

from __future__ import annotations

import base64
import io
import multiprocessing
import os
import random
import signal
import sys
import time
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from otrs.accounts.models import User, UserKind
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.parsing import parse_message
from otrs.mail.parsing.headers import clean_line
from tickets.choices import AutoResponseType, SenderType
from tickets.management.commands.attachment_storage import _to_db
from tickets.models import (
    Article,
    ArticleRaw,
    Attachment,
    AutoResponse,
    InboundMessage,
    InboundSource,
    InboundStatus,
    Outcome,
    QueueAutoResponse,
    RawMail,
    SystemAddress,
    Ticket,
)
from tickets.models.mail import blob_name, fingerprint, split_raw
from tickets.postmaster import _same_message, intake
from tickets.postmaster.intake import column_text, receive, reprocess, sweep

pytestmark = pytest.mark.django_db


def mail(
    subject="Printer broken",
    *,
    sender="Alice <alice@example.com>",
    body="It does not print.",
    message_id="<m1@example.com>",
    headers="",
    cte="8bit",
) -> bytes:
    text = (
        f"{headers}From: {sender}\r\nTo: support@helpdesk.test\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nDate: Mon, 02 Mar 2026 10:15:00 +0100\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n{body}\r\n"
    )
    return text.encode()


def with_attachment(content: bytes, *, line=76, eol=b"\r\n", message_id="<att@example.com>"):
    encoded = base64.b64encode(content)
    lines = eol.join(encoded[i : i + line] for i in range(0, len(encoded), line)) + eol
    head = (
        "From: Alice <alice@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: The file\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="XyZ"\r\n\r\n'
        "--XyZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the file.\r\n"
        "--XyZ\r\nContent-Type: application/octet-stream\r\n"
        'Content-Disposition: attachment; filename="data.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    return head + lines + b"--XyZ--\r\n"


def pipe(raw: bytes, **kwargs):
    kwargs.setdefault("source", InboundSource.PIPE)
    return receive(raw, **kwargs)


def run_pipe(raw: bytes) -> str:
    """``manage.py postmaster`` with ``raw`` on standard input (in this process)."""
    out, stdin = io.StringIO(), sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("postmaster", stdout=out)
    finally:
        sys.stdin = stdin
    return out.getvalue()


@pytest.fixture(autouse=True)
def _own_attachment_dir(settings, tmp_path):
    """Files of this test only: the sizes measured here are this test's."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    settings.ATTACHMENT_STORAGE = "fs"


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def support_address(support):
    address = SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )
    queue = support.queue
    queue.system_address = address
    queue.save()
    response = AutoResponse.objects.create(
        name="reply", response_type=AutoResponseType.AUTO_REPLY, subject="RE: x", text="Got it."
    )
    QueueAutoResponse.objects.create(queue=queue, auto_response=response)
    return address


def inbound_blob() -> RawMail:
    return RawMail.objects.get(pk=InboundMessage.objects.get().blob_id)


def customer_articles() -> int:
    return Article.objects.filter(sender_type=SenderType.CUSTOMER).count()


def auto_replies() -> int:
    return OutboundMessage.objects.filter(kind=OutboundKind.AUTO_RESPONSE).count()


# --- 1. raw first, whatever it holds -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (mail("=?utf-8?q?a=00b?="), "subject", "ab"),
        (mail(message_id="<a\x00b@example.com>"), "message_id", "<ab@example.com>"),
        (mail(sender="=?utf-8?q?Al=00ice?= <alice@example.com>"), "from_address", None),
        (mail(body="one=00two", cte="quoted-printable"), "body", None),
    ],
    ids=["encoded-subject", "message-id", "sender-name", "decoded-body"],
)
def test_a_nul_anywhere_is_stored_and_processed_through_the_pipe(
    support_address, raw, field, expected
):
    output = run_pipe(raw)  # no SystemExit: exit 0

    stored = InboundMessage.objects.get()
    assert "new_ticket" in output
    assert stored.status == InboundStatus.PROCESSED, stored.error
    assert stored.raw == raw  # the bytes as they came, NUL and all
    article = stored.article
    assert article.raw.content == raw
    for text in (stored.subject, stored.message_id, article.body, article.from_address):
        assert "\x00" not in text
    if field in ("subject", "message_id"):
        # The parser removes the NUL (one cleaning, the parser's): nothing is replaced.
        assert getattr(stored, field) == expected


def test_column_text_cleans_as_the_parser_does_and_cuts_to_the_column():
    # The parser's clean_line: NUL removed, a lone surrogate and a control character replaced.
    assert column_text("a\x00b\ud800c\rd", 5) == "ab\ufffdc "
    assert column_text("a\x00b") == clean_line("a\x00b") == "ab"
    assert column_text("plain") == "plain"


def test_a_long_subject_is_cut_to_its_column(support_address):
    stored = pipe(mail("x" * 1500))
    assert stored.status == InboundStatus.PROCESSED, stored.error
    assert InboundMessage.objects.get().subject == "x" * 1000


def test_the_raw_bytes_are_committed_before_anything_is_derived(support_address, monkeypatch):
    def parse_fails(raw, **kwargs):
        raise intake.MailParseError("not today")

    monkeypatch.setattr(intake, "parse_message", parse_fails)
    stored = pipe(mail())
    assert stored.status == InboundStatus.QUARANTINED
    assert InboundMessage.objects.get().raw == mail()
    monkeypatch.undo()
    assert reprocess(InboundMessage.objects.get()).status == InboundStatus.PROCESSED


# --- 2. "already stored": the same Message-ID and the same content --------------------------------


def test_the_fingerprint_ignores_transport_headers_and_line_ends():
    plain = mail()
    delivered = mail(
        headers="Received: from mx.example.com\r\n\tby us; Mon, 02 Mar 2026\r\n"
        "Return-Path: <alice@example.com>\r\nDelivered-To: other@helpdesk.test\r\n"
        "X-Original-To: other@helpdesk.test\r\n"
    )
    assert fingerprint(plain) == fingerprint(delivered)
    assert fingerprint(plain) == fingerprint(plain.replace(b"\r\n", b"\n"))
    assert fingerprint(plain) != fingerprint(mail("Printer broken again"))
    assert fingerprint(plain) != fingerprint(mail(body="Now it prints."))
    assert fingerprint(plain) != fingerprint(mail(message_id="<m2@example.com>"))
    # A header the sender wrote is content, wherever it stands.
    assert fingerprint(plain) != fingerprint(mail(headers="X-Mailer: other\r\n"))


def test_a_reused_message_id_with_other_content_is_a_new_article_with_its_raw(support_address):
    first = pipe(mail("Printer broken"))
    other = pipe(mail("Invoice overdue", body="Please pay."))  # same Message-ID, same sender

    assert other.pk != first.pk and not other.is_duplicate
    assert other.outcome == Outcome.NEW_TICKET
    assert customer_articles() == 2
    assert other.article.raw.content == mail("Invoice overdue", body="Please pay.")
    assert first.article.raw.content == mail("Printer broken")


def test_the_same_mail_with_other_transport_headers_is_stored_once(
    support_address, django_capture_on_commit_callbacks
):
    # The auto reply is sent by its event handler after the commit (mail-perf).
    with django_capture_on_commit_callbacks(execute=True):
        first = pipe(mail(headers="Received: from a\r\nDelivered-To: a@helpdesk.test\r\n"))
        again = pipe(mail(headers="Received: from b\r\nDelivered-To: b@helpdesk.test\r\n"))

    assert again.pk == first.pk and again.is_duplicate
    assert (InboundMessage.objects.count(), Ticket.objects.count(), auto_replies()) == (1, 1, 1)


def test_our_own_mail_coming_back_is_not_a_second_article(support_address):
    first = pipe(mail())
    # The same mail once more through a relay that adds its trace, but not to the inbound
    # store (our own answer coming back has no inbound row): the article is recognised.
    bounced_back = mail(headers="Received: from relay\r\n")
    assert _same_message(parse_message(bounced_back), bounced_back) == first.article
    other = mail(body="other")
    assert _same_message(parse_message(other), other) is None


# --- 3. one claim per stored message -------------------------------------------------------------


def test_a_message_claimed_by_another_worker_is_left_to_it(support_address, monkeypatch):
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    stored = pipe(mail())
    monkeypatch.undo()
    # Another worker holds it right now.
    until = timezone.now() + timedelta(minutes=5)
    InboundMessage.objects.filter(pk=stored.pk).update(
        status=InboundStatus.PROCESSING, claimed_until=until
    )
    assert reprocess(InboundMessage.objects.get()).status == InboundStatus.PROCESSING
    assert sweep() == 0
    assert Ticket.objects.count() == 0


def _receive_in_child(raw: bytes) -> int:
    return receive(raw, source=InboundSource.PIPE).pk


def _reprocess_in_child(pk: int) -> str:
    out = io.StringIO()
    try:
        call_command("postmaster", "--reprocess", str(pk), stdout=out)
    except Exception as exc:  # the command's CommandError when another worker had it
        return f"error: {exc}"
    return out.getvalue()


# On SQLite these run too (its writer lock serialises the processes); the race they guard
# against is a server database's, so PostgreSQL and MariaDB are where they prove something.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_bytes_delivered_five_times_at_once_make_one_ticket(
    support_address, run_in_processes
):
    raw = mail()
    pks = run_in_processes(_receive_in_child, [(raw,)] * 5)

    assert len(set(pks)) == 1
    assert InboundMessage.objects.count() == 1
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (1, 1, 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reprocess_run_three_times_at_once_makes_one_ticket(
    support_address, run_in_processes, monkeypatch
):
    monkeypatch.setattr(intake, "handle", lambda *a, **k: 1 / 0)
    stored = pipe(mail())
    assert stored.status == InboundStatus.QUARANTINED
    monkeypatch.undo()

    run_in_processes(_reprocess_in_child, [(stored.pk,)] * 3)

    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
    assert (Ticket.objects.count(), customer_articles(), auto_replies()) == (1, 1, 1)


def test_a_new_mail_is_stored_already_claimed_by_its_worker(support_address, settings):
    before = timezone.now()
    stored = intake.store(mail(), source=InboundSource.PIPE, claim=True)  # then a crash
    assert stored.status == InboundStatus.PROCESSING and stored.attempts == 1
    row = InboundMessage.objects.get()
    assert row.status == InboundStatus.PROCESSING
    assert row.claimed_until >= before + timedelta(seconds=settings.POSTMASTER_CLAIM_SECONDS)
    # Nobody else takes it while the claim lasts: not a re-delivery, a reprocess, the sweep.
    assert pipe(mail()).status == InboundStatus.PROCESSING
    assert reprocess(InboundMessage.objects.get()).status == InboundStatus.PROCESSING
    assert sweep() == 0 and Ticket.objects.count() == 0
    # Its claim ran out (the worker died): the sweep takes it over.
    InboundMessage.objects.filter(pk=stored.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert sweep() == 1
    row = InboundMessage.objects.get()
    assert (row.status, row.attempts, row.claimed_until) == (InboundStatus.PROCESSED, 2, None)
    assert Ticket.objects.count() == 1


def test_a_new_mail_is_processed_from_its_claim_and_its_bytes_written_once(support_address):
    stored = pipe(mail())
    assert (stored.status, stored.attempts, stored.claimed_until) == (
        InboundStatus.PROCESSED,
        1,
        None,
    )
    # One copy of the bytes, shared by the inbound row and the article's raw source.
    assert RawMail.objects.count() == 1
    assert ArticleRaw.objects.get().blob_id == InboundMessage.objects.get().blob_id
    assert stored.article.raw.content == mail()


def test_bytes_stored_before_for_an_article_are_shared_by_the_inbound_row(support_address):
    # The very same bytes already stored as an article's raw source (our own mail coming
    # back unchanged): the quick insert meets the unique sha256 and the slow way shares them.
    blob = RawMail.objects.put(mail())
    stored = pipe(mail())
    assert stored.status == InboundStatus.PROCESSED and not stored.is_duplicate
    assert stored.blob_id == blob.pk and RawMail.objects.count() == 1


# --- 4. the crash sweep --------------------------------------------------------------------------


def _hang_while_processing(raw: bytes) -> None:
    """A worker that stores the mail, claims it and then hangs inside the processing until
    it is killed (the parent sends SIGKILL: nothing of it gets to clean up)."""
    connections.close_all()

    def hang(*args, **kwargs):
        time.sleep(600)

    intake.handle = hang
    receive(raw, source=InboundSource.PIPE)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_left_processing_by_a_killed_worker_is_swept(support_address, time_machine):
    connections.close_all()
    child = multiprocessing.get_context("fork").Process(
        target=_hang_while_processing, args=(mail(),)
    )
    child.start()
    try:
        deadline = time.monotonic() + 60
        while not InboundMessage.objects.filter(status=InboundStatus.PROCESSING).exists():
            assert time.monotonic() < deadline, "the worker never claimed the message"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)

    stuck = InboundMessage.objects.get()
    assert stuck.status == InboundStatus.PROCESSING and Ticket.objects.count() == 0
    assert sweep() == 0  # its claim has not run out: it might still be working
    time_machine.move_to(stuck.claimed_until + timedelta(seconds=1))
    assert sweep() == 1
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED
    assert (Ticket.objects.count(), auto_replies()) == (1, 1)


def test_a_message_left_received_by_a_crash_is_swept_after_the_grace(support_address, settings):
    stored = intake.store(mail(), source=InboundSource.PIPE)  # the crash: never processed
    assert sweep() == 0  # just stored: the worker that stored it is about to process it
    InboundMessage.objects.filter(pk=stored.pk).update(
        received_at=timezone.now() - timedelta(seconds=settings.POSTMASTER_CLAIM_SECONDS + 1)
    )
    assert sweep() == 1
    assert InboundMessage.objects.get().status == InboundStatus.PROCESSED


def test_the_sweep_is_scheduled_every_few_minutes(db):
    task = PeriodicTask.objects.get(task="tickets.tasks.sweep_inbound_mail")
    assert task.enabled and task.interval.every <= 5


# --- 6. stored once ------------------------------------------------------------------------------


def _file_bytes() -> int:
    storage = storages["attachments"]
    total = 0
    for root, _dirs, files in os.walk(storage.location):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def test_the_mib_attachment_mail_is_stored_once_and_given_back_exactly(support_address):
    content = random.Random(1).randbytes(1024 * 1024)
    raw = with_attachment(content)

    stored = pipe(raw)

    assert stored.status == InboundStatus.PROCESSED, stored.error
    blob = inbound_blob()
    assert stored.blob_id == stored.article.raw.blob_id == blob.pk  # one copy, shared
    assert len(blob.pieces) == 1 and len(bytes(blob.data)) < 2000
    attachment = Attachment.objects.get(article=stored.article)
    assert attachment.file.name == blob_name(blob.pieces[0]["sha256"])
    assert attachment.read() == content
    total = len(bytes(blob.data)) + _file_bytes()
    assert total <= 1.2 * len(raw), (total, len(raw))
    assert InboundMessage.objects.get().raw == raw
    assert ArticleRaw.objects.get(article=stored.article).content == raw


def test_the_admin_download_of_the_raw_source_is_byte_identical(support_address, admin_client):
    raw = with_attachment(random.Random(2).randbytes(100_000), eol=b"\n", line=64)
    stored = pipe(raw)
    assert inbound_blob().pieces  # stored without the base64 body

    response = admin_client.get(reverse("admin:tickets_inboundmessage_raw", args=[stored.pk]))

    assert response.status_code == 200
    assert response.content == raw


def test_base64_that_cannot_be_rebuilt_exactly_is_kept_verbatim(support_address):
    content = random.Random(3).randbytes(50_000)
    raw = with_attachment(content)
    # One line one character shorter: decoding and encoding again would not give it back.
    at = raw.index(b"\r\n", raw.index(b"base64\r\n\r\n") + 200)
    raw = raw[: at - 1] + raw[at:]
    rest, pieces = split_raw(raw)
    assert pieces == [] and rest == raw

    stored = pipe(raw)
    assert inbound_blob().pieces == []
    assert InboundMessage.objects.get(pk=stored.pk).raw == raw


def test_the_same_file_in_a_thread_is_stored_once(support_address):
    content = random.Random(4).randbytes(200_000)
    first = pipe(with_attachment(content, message_id="<a@example.com>"))
    second = pipe(with_attachment(content, line=64, message_id="<b@example.com>"))

    assert first.article.pk != second.article.pk
    names = set(
        Attachment.objects.filter(article__sender_type=SenderType.CUSTOMER).values_list(
            "file", flat=True
        )
    )
    assert len(names) == 1
    assert _file_bytes() < 1.1 * len(content)
    # Deleting one ticket leaves the file the other uses.
    first.ticket.delete()
    assert Attachment.objects.get().read() == content
    assert InboundMessage.objects.get(pk=second.pk).raw == with_attachment(
        content, line=64, message_id="<b@example.com>"
    )


def test_text_is_compressed_and_given_back(support_address):
    body = "\r\n".join(f"Line {i} of a long report about the printer." for i in range(2000))
    raw = mail(body=body)
    pipe(raw)
    blob = inbound_blob()
    assert blob.codec == "zlib" and len(bytes(blob.data)) < len(raw) / 4
    assert blob.read() == raw


def test_moving_a_shared_file_into_the_database_keeps_it_for_the_other(support_address):
    content = random.Random(5).randbytes(20_000)
    pipe(with_attachment(content, message_id="<a@example.com>"))
    pipe(with_attachment(content, message_id="<b@example.com>", line=72))
    name = Attachment.objects.first().file.name
    first = Attachment.objects.order_by("pk").first()
    _to_db(first.pk)
    assert storages["attachments"].exists(name)
    assert Attachment.objects.order_by("pk").last().read() == content
