"""The LMTP listener (``manage.py lmtpd``), run as a real process against this test's database
and spoken to with the standard library's LMTP client."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from tests.tickets.test_mta_pipe import run_postmaster
from tickets.models import InboundMessage, InboundSource, SystemAddress, Ticket
from tickets.models.mail import content_hash
from tickets.postmaster.intake import store

BASE_DIR = Path(__file__).resolve().parents[2]
NO_DATABASE = "postgres://postgres@127.0.0.1:9/otrs"  # nothing listens on port 9

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def database_url() -> str:
    """This test's database, for the listener process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    scheme = "postgres" if connection.vendor == "postgresql" else "mysql"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"{scheme}://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT']}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def lmtpd(tmp_path: Path, *, database: str, spool: Path, listen: str = "") -> Iterator[str]:
    """Start ``manage.py lmtpd`` and yield the host:port it listens on (plus ``listen``)."""
    port = free_port()
    var = tmp_path / f"var-{port}"
    var.mkdir()
    log = var / "lmtpd.log"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "OTRS_VAR_DIR": str(var),
        "MAIL_SPOOL_DIR": str(spool),
    }
    addresses = f"127.0.0.1:{port}" + (f",{listen}" if listen else "")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "lmtpd", "--listen", addresses, "--poll", "0.2"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"lmtpd exited {process.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"lmtpd did not listen in time:\n{log.read_text()}")
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text()


def deliver(address: str, raw: bytes, recipients: list[str]) -> list[tuple[int, bytes]]:
    """One LMTP transaction; the replies to DATA, one per recipient (RFC 2033)."""
    return deliver_many(address, [(raw, recipients)])[0]


def deliver_many(
    address: str, messages: list[tuple[bytes, list[str]]]
) -> list[list[tuple[int, bytes]]]:
    """Several LMTP transactions over one connection, as an MTA sends a queue run; the
    replies to each DATA, one per recipient. smtplib's ``sendmail`` reads a single reply,
    so DATA is spoken by hand."""
    if address.startswith("/"):
        client = smtplib.LMTP(address)
    else:
        host, port = address.rsplit(":", 1)
        client = smtplib.LMTP(host, int(port))
    replies = []
    try:
        client.ehlo_or_helo_if_needed()
        for raw, recipients in messages:
            assert client.mail("alice@example.com")[0] == 250
            for rcpt in recipients:
                assert client.rcpt(rcpt)[0] == 250
            client.putcmd("data")
            assert client.getreply()[0] == 354
            data = smtplib._quote_periods(raw)  # the dot-stuffing smtplib.SMTP.data() does
            client.send(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
            replies.append([client.getreply() for _ in recipients])
        return replies
    finally:
        client.close()


def mail(subject="Printer broken") -> bytes:
    return (
        f"From: Alice <alice@example.com>\r\nTo: support@helpdesk.test, sales@helpdesk.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{abs(hash(subject))}@example.com>\r\n"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nIt does not print.\r\n"
        ".a line that starts with a dot\r\n"
    ).encode()


@pytest.fixture
def support_address(support):
    return SystemAddress.objects.create(
        email="support@helpdesk.test", display_name="Support", queue=support.queue
    )


RECIPIENTS = ["support@helpdesk.test", "sales@helpdesk.test"]


def test_a_delivery_is_answered_250_per_recipient_and_becomes_one_ticket(support_address, tmp_path):
    socket_path = tmp_path / "run" / "lmtp.sock"
    with lmtpd(
        tmp_path, database=database_url(), spool=tmp_path / "spool", listen=f"unix:{socket_path}"
    ) as address:
        replies = deliver(address, mail(), RECIPIENTS)
        assert [code for code, _text in replies] == [250, 250]
        assert all(b"(spooled)" not in text for _code, text in replies)
        # The Unix socket, as postfix's lmtp:unix: uses it.
        assert [code for code, _ in deliver(str(socket_path), mail("Second"), RECIPIENTS)] == [
            250,
            250,
        ]

    first = InboundMessage.objects.get(subject="Printer broken")
    assert first.source == InboundSource.LMTP
    assert first.envelope_recipients == RECIPIENTS
    assert first.sha256 == content_hash(mail())  # the bytes as sent, dots unstuffed
    ticket = Ticket.objects.get(pk=first.ticket_id)
    assert ticket.queue == support_address.queue
    assert Ticket.objects.count() == 2


def test_451_when_nothing_can_store_and_the_retry_stores_once(support_address, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("a spool under a file cannot be written, even by root")
    with lmtpd(tmp_path, database=NO_DATABASE, spool=blocker / "spool") as address:
        replies = deliver(address, mail(), RECIPIENTS)
    assert [code for code, _text in replies] == [451, 451]
    assert not InboundMessage.objects.exists()

    # The MTA tries again once the database is back, and once more (a lost reply).
    with lmtpd(tmp_path, database=database_url(), spool=tmp_path / "spool") as address:
        assert [code for code, _ in deliver(address, mail(), RECIPIENTS)] == [250, 250]
        assert [code for code, _ in deliver(address, mail(), RECIPIENTS)] == [250, 250]
    assert InboundMessage.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_the_spool_takes_the_mail_while_the_database_is_away(support_address, tmp_path):
    spool_dir = tmp_path / "spool"
    with lmtpd(tmp_path, database=NO_DATABASE, spool=spool_dir) as address:
        replies = deliver(address, mail(), RECIPIENTS)
    assert [code for code, _text in replies] == [250, 250]
    assert all(b"(spooled)" in text for _code, text in replies)
    assert not InboundMessage.objects.exists()
    assert len(list((spool_dir / "new").iterdir())) == 1

    # The database is back: the listener's spool intake stores it.
    with lmtpd(tmp_path, database=database_url(), spool=spool_dir):
        deadline = time.monotonic() + 30
        while not Ticket.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    inbound = InboundMessage.objects.get()
    assert inbound.source == InboundSource.LMTP
    assert inbound.ticket_id is not None
    # The envelope went through the spool too.
    assert inbound.envelope_recipients == RECIPIENTS
    assert list((spool_dir / "new").iterdir()) == []


def test_several_messages_over_one_connection_each_keep_their_envelope(
    support_address, tmp_path, admin_client
):
    messages = [
        (mail(f"Batch {i}"), ["support@helpdesk.test"] + [f"extra{i}@helpdesk.test"] * (i % 2))
        for i in range(5)
    ]
    with lmtpd(tmp_path, database=database_url(), spool=tmp_path / "spool") as address:
        replies = deliver_many(address, messages)
    assert [[code for code, _ in reply] for reply in replies] == [
        [250] * len(rcpts) for _raw, rcpts in messages
    ]
    stored = {m.subject: m for m in InboundMessage.objects.all()}
    assert len(stored) == 5 and Ticket.objects.count() == 5
    for i, (_raw, rcpts) in enumerate(messages):
        assert stored[f"Batch {i}"].envelope_recipients == rcpts
    # Shown in the inbound messages admin.
    page = admin_client.get(
        reverse("admin:tickets_inboundmessage_change", args=[stored["Batch 1"].pk])
    )
    assert "support@helpdesk.test, extra1@helpdesk.test" in page.content.decode()


def test_otrs_postmaster_reprocess_hands_over_to_manage_py(support_address, tmp_path):
    waiting = store(mail(), source=InboundSource.PIPE)  # stored, never processed (a crash)
    done = run_postmaster(
        b"",
        "--reprocess",
        str(waiting.pk),
        spool_dir=tmp_path,
        DATABASE_URL=database_url(),
        OTRS_VAR_DIR=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert b"new_ticket" in done.stdout
    assert Ticket.objects.get().pk == InboundMessage.objects.get(pk=waiting.pk).ticket_id
