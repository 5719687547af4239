"""The outgoing mail queue against a real SMTP server (aiosmtpd on loopback): what goes out,
threading and loop headers, Bcc, attachments, temporary and permanent refusals with back-off,
rollbacks, two workers, the file transport, TLS and AUTH, the operators' command and admin."""

from __future__ import annotations

import importlib
import shutil
import ssl
import subprocess
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from otrs.accounts.models import User, UserKind
from otrs.errors import DomainError
from otrs.mail import sending
from otrs.mail.models import OutboundKind, OutboundMessage, OutboundStatus
from otrs.mail.outbound import queue_system_mail
from otrs.mail.tasks import send_outbound_message, send_outgoing_mail
from tests import factories
from tests.mail.smtp_server import start_smtp_server
from tests.missing import missing
from tickets import actions
from tickets.choices import Channel, HistoryType, SenderType
from tickets.models import (
    Article,
    ArticleRaw,
    RawMail,
    SystemAddress,
    Ticket,
    TicketHistory,
)

CUSTOMER_MESSAGE_ID = "<cust-2@example.com>"
EARLIER_MESSAGE_ID = "<cust-1@example.com>"
BINARY = bytes(range(256)) * 64


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture
def rw(support):
    return factories.refetch(support.rw)


@pytest.fixture
def address(support):
    found = SystemAddress.objects.create(
        email="support@example.test", display_name="Example Support", queue=support.queue
    )
    support.queue.system_address = found
    support.queue.save()
    return found


@pytest.fixture
def ticket(support, address):
    return factories.ticket(support.queue, title="Printer on fire")


@pytest.fixture
def customer_mail(ticket):
    """The customer's mail we answer: it has a Message-ID and references an earlier one."""
    return actions.add_article(
        ticket,
        actions.ArticleInput(
            channel=Channel.EMAIL,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            from_address="Carol Customer <carol@example.com>",
            to_address="support@example.test",
            subject=f"Re: [Ticket#{ticket.number}] Printer on fire",
            body="Still smoking.",
            message_id=CUSTOMER_MESSAGE_ID,
            references=EARLIER_MESSAGE_ID,
        ),
        actor=factories.system(),
    )


def answer(ticket, customer_mail, **fields) -> actions.ArticleInput:
    data = {
        "to_address": "Carol Customer <carol@example.com>",
        "subject": f"Re: [Ticket#{ticket.number}] Printer on fire",
        "body": "Turn it off, please.",
        "in_reply_to": customer_mail.message_id,
        "references": f"{customer_mail.references} {customer_mail.message_id}",
    }
    data.update(fields)
    return actions.ArticleInput(**data)


def later(time_machine, **delta) -> None:
    """The clock moves forward (and stands there): for timezone.now(), time.time() and the
    database rows' timestamps the code writes."""
    time_machine.move_to(timezone.now() + timedelta(**delta), tick=False)


def only_row() -> OutboundMessage:
    (row,) = OutboundMessage.objects.all()
    return row


# --- what goes out -----------------------------------------------------------------------------


def test_an_answer_goes_out_threaded_to_the_customers_mail(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)

    (received,) = smtp_server.messages
    assert received.mail_from == "support@example.test"
    assert received.rcpt_tos == ["carol@example.com"]
    message = received.message
    assert message["From"] == "Example Support <support@example.test>"
    assert message["To"] == "Carol Customer <carol@example.com>"
    assert message["Subject"] == f"Re: [Ticket#{ticket.number}] Printer on fire"
    assert message["Message-ID"] == article.message_id
    assert article.message_id.endswith("@localhost>")
    assert message["In-Reply-To"] == CUSTOMER_MESSAGE_ID
    assert message["References"] == f"{EARLIER_MESSAGE_ID} {CUSTOMER_MESSAGE_ID}"
    assert message.get_content().strip() == "Turn it off, please."
    # A typed answer is no automatic mail.
    assert message["X-Loop"] is None and message["Auto-Submitted"] is None
    # The article keeps exactly the bytes that went out.
    raw = bytes(ArticleRaw.objects.get(article=article).content)
    assert received.raw.rstrip(b"\r\n") == raw.rstrip(b"\r\n")

    article = Article.objects.get(pk=article.pk)
    assert (article.channel, article.sender_type) == (Channel.EMAIL, SenderType.AGENT)
    assert article.is_visible_for_customer
    assert article.from_address == "Example Support <support@example.test>"
    row = only_row()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 1, "")
    assert row.sent_at is not None and (
        row.ticket_delivery.ticket_id,
        row.ticket_delivery.article_id,
    ) == (
        ticket.pk,
        article.pk,
    )
    assert TicketHistory.objects.filter(
        ticket=ticket, article=article, history_type=HistoryType.SEND_ANSWER, actor=rw
    ).exists()


def test_bcc_is_in_the_envelope_only(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    data = answer(
        ticket, customer_mail, cc_address="Dave <dave@example.com>", bcc_address="boss@x.test"
    )
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(
            ticket,
            data,
            actor=rw,
            bcc=["audit@x.test"],
        )

    (received,) = smtp_server.messages
    assert sorted(received.rcpt_tos) == sorted(
        ["carol@example.com", "dave@example.com", "boss@x.test", "audit@x.test"]
    )
    assert received.message["Cc"] == "Dave <dave@example.com>"
    assert received.message["Bcc"] is None
    assert b"boss@x.test" not in received.raw and b"audit@x.test" not in received.raw
    # Agents still see whom it went to.
    assert Article.objects.get(pk=article.pk).bcc_address == "boss@x.test, audit@x.test"


def test_attachments_arrive_intact(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks, settings
):
    settings.ATTACHMENT_STORAGE = "db"
    files = [
        actions.AttachmentInput("dump.bin", BINARY, "application/octet-stream"),
        actions.AttachmentInput("Grüße, report.txt", "Zeile ä\n".encode(), "text/plain"),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(
            ticket, answer(ticket, customer_mail, attachments=files), actor=rw
        )

    (received,) = smtp_server.messages
    parts = list(received.message.iter_attachments())
    assert [p.get_filename() for p in parts] == ["dump.bin", "Grüße, report.txt"]
    assert parts[0].get_content() == BINARY
    assert parts[1].get_content_type() == "text/plain"
    assert parts[1].get_payload(decode=True) == "Zeile ä\n".encode()
    stored = Article.objects.get(pk=article.pk).attachments.order_by("pk")
    assert [(a.filename, a.read()) for a in stored] == [(f.filename, f.content) for f in files]


def test_automatic_mail_carries_the_loop_headers(
    smtp_server, ticket, customer_mail, django_capture_on_commit_callbacks
):
    system = factories.system()
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(
            ticket,
            answer(ticket, customer_mail, body="We got your mail."),
            actor=system,
            kind=OutboundKind.AUTO_RESPONSE,
            history_type=HistoryType.SEND_AUTO_REPLY,
        )

    message = smtp_server.messages[0].message
    assert message["X-Loop"] == "yes"
    assert message["Precedence"] == "bulk"
    assert message["Auto-Submitted"] == "auto-generated"
    article = Article.objects.get(pk=article.pk)
    assert article.sender_type == SenderType.SYSTEM
    assert only_row().kind == OutboundKind.AUTO_RESPONSE
    assert TicketHistory.objects.filter(
        article=article, history_type=HistoryType.SEND_AUTO_REPLY
    ).exists()


def test_header_values_stay_on_one_line_and_domains_go_out_in_ascii(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    data = answer(
        ticket,
        customer_mail,
        to_address="Jürgen Groß <j@exämple.com>",
        subject="Re: hello\r\nBcc: evil@example.net",
    )
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(ticket, data, actor=rw)

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["j@xn--exmple-cua.com"]
    assert received.message["To"] == "Jürgen Groß <j@xn--exmple-cua.com>"
    assert received.message["Subject"] == "Re: hello Bcc: evil@example.net"
    assert received.message["Bcc"] is None
    article = Article.objects.get(pk=article.pk)
    assert article.to_address == "Jürgen Groß <j@xn--exmple-cua.com>"
    assert article.subject == "Re: hello Bcc: evil@example.net"


def test_a_rolled_back_change_sends_nothing(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
        raise RuntimeError("something later in the same change failed")

    assert callbacks == []
    assert not OutboundMessage.objects.exists()
    assert not Article.objects.filter(ticket=ticket, sender_type=SenderType.AGENT).exists()
    assert smtp_server.messages == []


def test_it_refuses_an_agent_without_rw_and_queues_nothing(
    smtp_server, support, ticket, customer_mail
):
    ro = factories.refetch(support.ro)
    with pytest.raises(DomainError) as refused:
        actions.send_email(ticket, answer(ticket, customer_mail), actor=ro)
    assert refused.value.code == "permission_denied"
    assert not OutboundMessage.objects.exists()


def test_it_refuses_a_mail_without_recipients(ticket, customer_mail, rw):
    with pytest.raises(DomainError) as refused:
        actions.send_email(ticket, answer(ticket, customer_mail, to_address=""), actor=rw)
    assert refused.value.code == "no_recipient"
    assert not OutboundMessage.objects.exists()


def test_without_a_system_address_the_notification_sender_is_used(
    smtp_server, support, rw, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_FROM = "Help desk <helpdesk@example.test>"
    plain = factories.ticket(support.queue)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_email(plain, actions.ArticleInput(to_address="x@example.com"), actor=rw)
    (received,) = smtp_server.messages
    assert received.mail_from == "helpdesk@example.test"
    assert received.message["From"] == "Help desk <helpdesk@example.test>"


def test_a_new_email_ticket_is_sent_with_its_number(
    smtp_server, support, address, rw, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = actions.create_email_ticket(
            title="Your new laptop",
            queue=support.queue,
            actor=rw,
            customer_user="carol@example.com",
            article=actions.ArticleInput(
                to_address="carol@example.com", body="It is ready for pick-up."
            ),
        )

    (received,) = smtp_server.messages
    assert received.message["Subject"] == f"[Ticket#{ticket.number}] Your new laptop"
    article = ticket.articles.get()
    assert article.created_at == ticket.created_at
    types = list(
        TicketHistory.objects.filter(ticket=ticket).order_by("id").values_list("history_type")
    )
    assert (HistoryType.NEW_TICKET,) in types and (HistoryType.EMAIL_AGENT,) in types


# --- refusals, back-off, failure ---------------------------------------------------------------


def test_a_temporary_refusal_waits_and_goes_out_later(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks, time_machine
):
    smtp_server.refuse_data("451 4.3.0 Mailbox busy, try again")
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)

    row = only_row()
    assert row.status == OutboundStatus.QUEUED
    assert row.attempts == 1
    assert row.last_error == "carol@example.com: DATA 451 4.3.0 Mailbox busy, try again"
    waited = row.next_attempt_at - timezone.now()
    assert timedelta(minutes=1, seconds=50) < waited <= timedelta(minutes=2)
    assert smtp_server.messages == []
    # Not due yet: the daemon leaves it alone.
    assert send_outgoing_mail() == 0
    assert OutboundMessage.objects.get().attempts == 1

    smtp_server.accept()
    later(time_machine, minutes=2, seconds=1)
    assert send_outgoing_mail() == 1

    row = only_row()
    assert (row.status, row.attempts, row.last_error) == (OutboundStatus.SENT, 2, "")
    assert len(smtp_server.messages) == 1


def test_back_off_doubles_until_the_last_attempt_fails_for_good(
    smtp_server, ticket, customer_mail, rw, settings, time_machine
):
    settings.OUTGOING_MAIL_MAX_ATTEMPTS = 3
    smtp_server.refuse_rcpt("carol@example.com", "452 4.2.2 Over quota")
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    base = timezone.now()
    for minutes, expected_wait in ((0, 2), (3, 4), (8, None)):
        moment = base + timedelta(minutes=minutes)
        time_machine.move_to(moment, tick=False)
        send_outgoing_mail()
        row = only_row()
        if expected_wait:
            assert row.status == OutboundStatus.QUEUED
            assert row.next_attempt_at == moment + timedelta(minutes=expected_wait)
    assert row.status == OutboundStatus.FAILED
    assert row.attempts == 3
    assert row.last_error.startswith("Delivery gave up after 3 attempt(s)")
    assert row.last_error.endswith("\ncarol@example.com: 452 4.2.2 Over quota")


def test_a_permanent_refusal_fails_at_once_and_shows_on_the_ticket(
    smtp_server, client, ticket, customer_mail, rw, django_capture_on_commit_callbacks, outbox
):
    smtp_server.refuse_data("550 5.7.1 Message rejected as spam")
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)

    row = only_row()
    assert (row.status, row.attempts) == (OutboundStatus.FAILED, 1)
    assert row.last_error == "carol@example.com: DATA 550 5.7.1 Message rejected as spam"
    entry = TicketHistory.objects.get(ticket=ticket, history_type=HistoryType.MISC)
    assert entry.article_id == article.pk
    assert entry.extra["event"] == "ArticleEmailSendingError"
    assert "550 5.7.1" in entry.new_value
    ((_name, ticket_id, data),) = outbox("ArticleEmailSendingError")
    assert (ticket_id, data["article_id"]) == (ticket.pk, article.pk)
    assert "550 5.7.1" in data["new"]

    client.force_login(rw)
    page = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Sending failed" in page
    assert "550 5.7.1 Message rejected as spam" in page


def test_only_the_refused_recipients_are_tried_again(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks, time_machine
):
    smtp_server.refuse_rcpt("dave@example.com", "450 4.2.0 Greylisted")
    smtp_server.refuse_rcpt("erin@example.com", "550 5.1.1 No such user")
    data = answer(ticket, customer_mail, cc_address="dave@example.com, erin@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_email(ticket, data, actor=rw)

    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["carol@example.com"]
    rows = {tuple(r.recipients): r for r in OutboundMessage.objects.all()}
    assert set(rows) == {("carol@example.com",), ("dave@example.com",), ("erin@example.com",)}
    assert rows[("carol@example.com",)].status == OutboundStatus.SENT
    assert rows[("dave@example.com",)].status == OutboundStatus.QUEUED
    assert rows[("dave@example.com",)].last_error == "dave@example.com: 450 4.2.0 Greylisted"
    assert rows[("erin@example.com",)].status == OutboundStatus.FAILED
    # One copy of the bytes for all three rows: the article's RawMail.
    assert {(bytes(r.raw), r.raw_blob_id) for r in rows.values()} == {
        (b"", rows[("carol@example.com",)].ticket_delivery.article.raw.blob_id)
    }
    # The copies belong to the ticket and article of the original (the ticket channel links
    # them when the sender reports the split), and the one that failed for good shows there.
    article = rows[("carol@example.com",)].ticket_delivery.article
    assert article.ticket_id == ticket.pk
    assert {r.ticket_delivery.article_id for r in rows.values()} == {article.pk}
    failure = TicketHistory.objects.get(ticket=ticket, history_type=HistoryType.MISC)
    assert failure.article_id == article.pk and "550 5.1.1" in failure.new_value

    smtp_server.accept()
    later(time_machine, minutes=3)
    assert send_outgoing_mail() == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["carol@example.com"],
        ["dave@example.com"],
    ]
    assert OutboundMessage.objects.filter(status=OutboundStatus.SENT).count() == 2


def test_an_article_mail_is_stored_once_shared_with_the_article(
    smtp_server, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    blobs_before = RawMail.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)

    row = only_row()
    source = ArticleRaw.objects.get(article=article)
    assert bytes(row.raw) == b""
    assert row.raw_blob_id == source.blob_id
    assert RawMail.objects.count() == blobs_before + 1
    # What went out is what the article keeps, read through the shared row.
    (received,) = smtp_server.messages
    assert row.content() == source.content
    assert received.raw.rstrip(b"\r\n") == row.content().rstrip(b"\r\n")


def test_a_system_mail_keeps_its_own_bytes(smtp_server, support, settings):

    queued = queue_system_mail(to="someone@example.com", subject="Hello", body="Text")
    # Not an article's mail: nobody else keeps the bytes, the row does.
    assert queued.raw_blob_id is None
    assert b"Subject: Hello" in bytes(queued.raw) and queued.content() == bytes(queued.raw)


def test_the_migration_moves_existing_rows_onto_the_article_source(
    ticket, customer_mail, rw, django_capture_on_commit_callbacks
):

    migration = importlib.import_module("tickets.migrations.0012_mail_store_once")
    article = actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    row = only_row()
    raw = row.content()
    # The shape before: a copy in the queued row, no reference.
    OutboundMessage.objects.filter(pk=row.pk).update(raw=raw, raw_blob_id=None)
    other = actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    other_row = OutboundMessage.objects.get(ticket_delivery__article=other)
    # A row whose bytes differ from its article's source keeps them.
    OutboundMessage.objects.filter(pk=other_row.pk).update(raw=b"different", raw_blob_id=None)

    migration.share(apps, None)

    row.refresh_from_db()
    other_row.refresh_from_db()
    assert (bytes(row.raw), row.raw_blob_id) == (b"", article.raw.blob_id)
    assert row.content() == raw
    assert (bytes(other_row.raw), other_row.raw_blob_id) == (b"different", None)

    migration.unshare(apps, None)
    row.refresh_from_db()
    assert (bytes(row.raw), row.raw_blob_id) == (raw, None)


def test_an_unreachable_server_keeps_the_mail_queued(
    ticket, customer_mail, rw, settings, django_capture_on_commit_callbacks
):
    server = start_smtp_server()
    settings.OUTGOING_MAIL = server.config()
    server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)

    row = only_row()
    assert row.status == OutboundStatus.QUEUED
    assert f"127.0.0.1:{server.port}" in row.last_error
    assert "ConnectionRefusedError" in row.last_error


# --- never twice -------------------------------------------------------------------------------


def test_running_the_tasks_twice_sends_once(smtp_server, ticket, customer_mail, rw):
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    pk = only_row().pk

    assert send_outbound_message(pk) == OutboundStatus.SENT
    assert send_outbound_message(pk) is None
    assert send_outgoing_mail() == 0
    assert len(smtp_server.messages) == 1


def test_a_worker_that_died_mid_send_is_retried_after_its_claim(
    smtp_server, ticket, customer_mail, rw, time_machine
):
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    assert sending._claim(only_row().pk) is not None  # claimed, then the worker died
    assert send_outgoing_mail() == 0
    assert only_row().status == OutboundStatus.SENDING

    later(time_machine, minutes=16)
    assert send_outgoing_mail() == 1
    assert (only_row().status, only_row().attempts) == (OutboundStatus.SENT, 2)


def _send_due_in_child() -> int:
    return sending.send_due()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_send_a_message_twice(run_in_processes, support, settings):
    server = start_smtp_server()
    settings.OUTGOING_MAIL = server.config()
    try:
        address = SystemAddress.objects.create(
            email="support@example.test", display_name="Support", queue=support.queue
        )
        support.queue.system_address = address
        support.queue.save()
        agent = factories.refetch(support.rw)
        ticket = factories.ticket(support.queue)
        for n in range(12):
            actions.send_email(
                ticket, actions.ArticleInput(to_address=f"c{n}@example.com"), actor=agent
            )
        # The on-commit sends already ran (eager tasks): queue them all again, unsent.
        OutboundMessage.objects.update(status=OutboundStatus.QUEUED, next_attempt_at=timezone.now())
        before = len(server.messages)

        counts = run_in_processes(_send_due_in_child, [(), ()])

        assert sum(counts) == 12
        fresh = server.messages[before:]
        assert sorted(m.rcpt_tos[0] for m in fresh) == sorted(
            f"c{n}@example.com" for n in range(12)
        )
    finally:
        server.stop()


# --- transports --------------------------------------------------------------------------------


def test_the_file_transport_writes_one_eml_per_message(
    ticket, customer_mail, rw, settings, tmp_path, django_capture_on_commit_callbacks
):
    outbox = tmp_path / "mail-out"
    settings.OUTGOING_MAIL = {"scheme": "file", "path": str(outbox)}
    with django_capture_on_commit_callbacks(execute=True):
        article = actions.send_email(
            ticket, answer(ticket, customer_mail), actor=rw, bcc=["boss@x.test"]
        )

    row = only_row()
    (written,) = outbox.iterdir()
    assert written.name.endswith(f"-{row.pk}.eml")
    content = written.read_bytes()
    assert content.startswith(b"Return-Path: <support@example.test>\r\n")
    assert b"X-Envelope-To: carol@example.com, boss@x.test\r\n" in content
    assert content.endswith(bytes(ArticleRaw.objects.get(article=article).content))
    assert row.status == OutboundStatus.SENT


def test_the_tests_own_outbox_is_the_default(ticket, customer_mail, rw, settings, tmp_path):
    assert {"scheme": "file", "path": str(tmp_path / "outbox")} == settings.OUTGOING_MAIL
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    assert sending.send_due() == 1
    assert len(list((tmp_path / "outbox").iterdir())) == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        missing("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(certificate) -> ssl.SSLContext:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def _trust(monkeypatch, certificate) -> None:
    """Our side trusts the test certificate (and nothing else) when it verifies."""
    real = sending.tls_context

    def context(*, verify):
        made = real(verify=verify)
        if verify:
            made.load_verify_locations(certificate[0])
        return made

    monkeypatch.setattr(sending, "tls_context", context)


@pytest.mark.parametrize("implicit", [False, True], ids=["smtp+starttls", "smtps"])
def test_it_sends_over_tls_with_a_login(
    ticket, customer_mail, rw, settings, certificate, monkeypatch, implicit
):
    _trust(monkeypatch, certificate)
    server = start_smtp_server(
        tls_context=_server_context(certificate),
        implicit_tls=implicit,
        logins={"otrs": "s3cret"},
    )
    try:
        settings.OUTGOING_MAIL = server.config(user="otrs", password="s3cret")
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
        assert sending.send_due() == 1
        assert server.messages[0].rcpt_tos == ["carol@example.com"]

        # A wrong password is a setup problem: the mail waits, the error says why.
        settings.OUTGOING_MAIL = server.config(user="otrs", password="wrong")
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
        assert sending.send_due() == 0
        row = OutboundMessage.objects.get(status=OutboundStatus.QUEUED)
        assert "535" in row.last_error
    finally:
        server.stop()


def test_it_refuses_an_unverified_certificate_when_tls_is_required(
    ticket, customer_mail, rw, settings, certificate
):
    server = start_smtp_server(tls_context=_server_context(certificate))
    try:
        settings.OUTGOING_MAIL = server.config()
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
        assert sending.send_due() == 0
        row = only_row()
        assert row.status == OutboundStatus.QUEUED
        assert "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert server.messages == []
    finally:
        server.stop()


def test_smtp_uses_starttls_when_offered_without_checking_the_certificate(
    ticket, customer_mail, rw, settings, certificate
):
    server = start_smtp_server(tls_context=_server_context(certificate))
    try:
        # The server insists on STARTTLS; plain smtp:// takes it (opportunistic TLS).
        settings.OUTGOING_MAIL = {**server.config(), "scheme": "smtp"}
        actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
        assert sending.send_due() == 1
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_starttls_required_but_not_offered_keeps_the_mail(
    smtp_server, ticket, customer_mail, rw, settings
):
    settings.OUTGOING_MAIL = {**smtp_server.config(), "scheme": "smtp+starttls"}
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    assert sending.send_due() == 0
    row = only_row()
    assert row.status == OutboundStatus.QUEUED
    assert "does not offer STARTTLS" in row.last_error
    assert smtp_server.messages == []


# --- operators ---------------------------------------------------------------------------------


def _failed(smtp_server, ticket, customer_mail, rw) -> OutboundMessage:
    smtp_server.refuse_data("554 5.0.0 Nope")
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    sending.send_due()
    smtp_server.accept()
    row = only_row()
    assert row.status == OutboundStatus.FAILED
    return row


def test_the_command_lists_sends_and_retries(smtp_server, ticket, customer_mail, rw):
    row = _failed(smtp_server, ticket, customer_mail, rw)
    out = StringIO()
    call_command("mailqueue", "--list", stdout=out)
    listing = out.getvalue()
    assert f"{row.pk}" in listing and "failed" in listing and "554 5.0.0 Nope" in listing
    assert ticket.number in listing

    out = StringIO()
    call_command("mailqueue", "--retry", str(row.pk), stdout=out)
    assert f"Message {row.pk} sent." in out.getvalue()
    assert only_row().status == OutboundStatus.SENT
    assert len(smtp_server.messages) == 1

    # Sent mail is never sent again.
    err = StringIO()
    call_command("mailqueue", "--retry", str(row.pk), stdout=StringIO(), stderr=err)
    assert "left alone" in err.getvalue()
    assert len(smtp_server.messages) == 1

    out = StringIO()
    call_command("mailqueue", stdout=out)
    assert "The outgoing queue is empty." in out.getvalue()


def test_the_command_sends_due_mail_and_retries_every_failed_one(
    smtp_server, ticket, customer_mail, rw
):
    _failed(smtp_server, ticket, customer_mail, rw)
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    out = StringIO()
    call_command("mailqueue", "--send", stdout=out)
    assert "1 message sent." in out.getvalue()

    call_command("mailqueue", "--retry-failed", stdout=StringIO())
    assert not OutboundMessage.objects.exclude(status=OutboundStatus.SENT).exists()
    assert len(smtp_server.messages) == 2


def test_the_command_refuses_unknown_ids(db):
    with pytest.raises(CommandError, match="No outgoing message with id 424242"):
        call_command("mailqueue", "--retry", "424242")


@pytest.fixture
def admin_client_(client, db):
    user = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    client.force_login(user)
    return client


def test_the_admin_lists_the_queue_and_retries_now(
    smtp_server, admin_client_, ticket, customer_mail, rw, django_capture_on_commit_callbacks
):
    row = _failed(smtp_server, ticket, customer_mail, rw)
    changelist = reverse("admin:mail_outboundmessage_changelist")
    page = admin_client_.get(changelist).content.decode()
    assert "554 5.0.0 Nope" in page
    assert reverse("agent:zoom", args=[ticket.pk]) in page
    detail = admin_client_.get(reverse("admin:mail_outboundmessage_change", args=[row.pk]))
    assert detail.status_code == 200
    assert "Message-ID" in detail.content.decode()
    assert admin_client_.get(reverse("admin:mail_outboundmessage_add")).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            changelist, {"action": "retry_now", "_selected_action": [row.pk]}
        )
    assert response.status_code == 302
    assert only_row().status == OutboundStatus.SENT
    assert len(smtp_server.messages) == 1


def test_a_retried_failed_article_shows_as_sent_on_the_zoom(
    smtp_server, client, ticket, customer_mail, rw
):
    _failed(smtp_server, ticket, customer_mail, rw)
    sending.requeue()
    sending.send_due()
    client.force_login(rw)
    page = client.get(reverse("agent:zoom", args=[ticket.pk])).content.decode()
    assert "Sent" in page and "Sending failed" not in page
    assert Ticket.objects.get(pk=ticket.pk).articles.count() == 3


# --- retrying as an MTA does -------------------------------------------------------------------


def test_the_back_off_grows_to_a_cap_of_an_hour():
    waits = [sending.backoff(n) for n in range(1, 10)]
    assert [int(w.total_seconds() // 60) for w in waits] == [2, 4, 8, 16, 32, 60, 60, 60, 60]


def test_a_message_is_tried_for_its_lifetime_then_fails_with_a_bounce_like_record(
    smtp_server, ticket, customer_mail, rw, settings, time_machine
):
    assert settings.OUTGOING_MAIL_LIFETIME_HOURS == 120  # postfix's 5 days by default
    settings.OUTGOING_MAIL_LIFETIME_HOURS = 5
    smtp_server.refuse_data("421 4.7.0 Relay down")
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    created = only_row().queued_at
    time_machine.move_to(timezone.now(), tick=False)
    attempts = 0
    while only_row().status == OutboundStatus.QUEUED:
        time_machine.move_to(only_row().next_attempt_at, tick=False)
        send_outgoing_mail()
        attempts += 1
        assert attempts < 50
        row = only_row()
        if row.status == OutboundStatus.QUEUED:
            assert row.next_attempt_at - timezone.now() <= timedelta(hours=1)
            assert timezone.now() - created < timedelta(hours=5)

    row = only_row()
    assert row.status == OutboundStatus.FAILED
    assert timezone.now() - created >= timedelta(hours=5)
    assert attempts == row.attempts > 5  # well past the old give-up after 5 attempts
    assert row.last_error.startswith("Delivery gave up after")
    assert "421 4.7.0 Relay down" in row.last_error

    # An operator's retry gives it a new lifetime, not one last attempt.
    sending.requeue([row.pk])
    send_outgoing_mail()
    assert only_row().status == OutboundStatus.QUEUED


def test_admins_are_alerted_once_and_the_queue_drains_when_the_relay_returns(
    smtp_server, ticket, customer_mail, rw, settings, time_machine
):
    admin = User.objects.create_superuser("root", "root@example.test", "pw", kind=UserKind.AGENT)
    smtp_server.refuse_data("421 4.7.0 Relay down")
    actions.send_email(ticket, answer(ticket, customer_mail), actor=rw)
    start = timezone.now()

    def alerts():
        return OutboundMessage.objects.filter(idempotency_key__startswith=sending.ALERT_KEY)

    for minutes in (0, 30, 59):
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        sending.send_due()
    assert not alerts().exists()  # failing, but not for an hour yet

    for minutes in (61, 62, 90, 150, 210):
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        sending.send_due()
    (alert,) = alerts()
    assert alert.kind == OutboundKind.SYSTEM and alert.recipients == [admin.email]
    raw = bytes(alert.raw).decode()
    assert "Outgoing mail is not being delivered" in raw
    failing = OutboundMessage.objects.exclude(pk=alert.pk).get()
    assert failing.alerted_at is not None and failing.status == OutboundStatus.QUEUED

    # The relay is back: the next runs send everything, the alert too, with nobody's help.
    smtp_server.accept()
    time_machine.move_to(start + timedelta(minutes=300), tick=False)
    sending.send_due()
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {OutboundStatus.SENT}
    assert len(smtp_server.messages) == 2
