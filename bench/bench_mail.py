"""Mail intake throughput (not a test): messages per second with one worker.

    createdb -h 127.0.0.1 -U postgres otrs_bench_mail
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench_mail
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_mail.py [--plain 500] [--large 20] [--pipe 20] [--fetch 300]

Four measurements, each in one process (one worker), one message after the other:

- **pipeline, plain**: ``tickets.postmaster.intake.receive`` on distinct small mails (half new
  tickets, half follow-ups by subject number): raw store, parse, filters, follow-up
  detection, ticket actions, article, raw copy, history, auto-response check;
- **pipeline, 1 MB attachment**: the same with a 1 MiB base64 attachment per mail;
- **manage.py postmaster**: one process per mail as an MTA pipe runs it (interpreter and
  Django start-up included);
- **fetch**: mails appended to a dovecot IMAP mailbox (started from a temporary config, as
  the tests do), then one ``fetch_account`` run that fetches, stores, processes and deletes
  them all.

Rows made here stay in the database (it is a benchmark database).
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

import django  # noqa: E402

django.setup()

from bench_tickets import _machine  # noqa: E402

from otrs.mail.fetching import fetch_account  # noqa: E402
from otrs.mail.models import MailAccount, Protocol  # noqa: E402
from tests.mail import dovecot  # noqa: E402
from tickets.models import InboundSource, InboundStatus, Queue, SystemAddress  # noqa: E402
from tickets.postmaster.intake import receive  # noqa: E402

ADDRESS = "bench@helpdesk.test"


def message(subject: str, *, body: str = "The printer on floor 2 is broken again.", attach=0):
    mid = f"<{uuid.uuid4().hex}@customer.test>"
    head = (
        f"From: Bench Customer <customer-{uuid.uuid4().hex[:6]}@customer.test>\r\n"
        f"To: {ADDRESS}\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
    )
    if not attach:
        return (head + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
    payload = base64.encodebytes(os.urandom(attach)).decode().replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        "--b\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="scan.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{payload}--b--\r\n"
    ).encode()


def _setup() -> None:
    queue = Queue.objects.get(full_name="Misc")
    SystemAddress.objects.get_or_create(
        email=ADDRESS, defaults={"display_name": "Bench", "queue": queue}
    )


def _rate(label: str, count: int, seconds: float, mb: float = 0.0) -> None:
    extra = f", {mb / seconds:6.1f} MB/s" if mb else ""
    print(f"{label:<40} {count:>6} msgs {seconds:8.2f} s  {count / seconds:8.1f} msg/s{extra}")


def bench_pipeline(count: int, *, attach: int = 0, label: str) -> None:
    raws = []
    first = receive(message("warm-up"), source=InboundSource.PIPE)
    number = first.ticket.number
    for i in range(count):
        subject = f"Re: [Ticket#{number}] more" if i % 2 else f"Request {i}"
        raws.append(message(subject, attach=attach))
    start = time.perf_counter()
    for raw in raws:
        stored = receive(raw, source=InboundSource.PIPE)
        assert stored.status == InboundStatus.PROCESSED, stored.error
    seconds = time.perf_counter() - start
    _rate(label, count, seconds, sum(len(r) for r in raws) / 1e6 if attach else 0.0)


def bench_pipe(count: int) -> None:
    raws = [message(f"Pipe {i}") for i in range(count)]
    start = time.perf_counter()
    for raw in raws:
        done = subprocess.run(
            [sys.executable, "manage.py", "postmaster", "-v0"],
            input=raw,
            cwd=BASE_DIR,
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    _rate("manage.py postmaster (process per mail)", count, time.perf_counter() - start)


def bench_fetch(count: int) -> None:
    directory = Path(tempfile.mkdtemp(prefix="otrs-dovecot-bench-"))
    dovecot._prepare(directory)
    server = dovecot._start(directory)
    try:
        box = server.mailbox()
        conn = box.connect()
        try:
            for i in range(count):
                conn.append("INBOX", None, None, message(f"Fetched {i}"))
        finally:
            conn.logout()
        account, _created = MailAccount.objects.update_or_create(
            name="bench",
            defaults={
                "protocol": Protocol.IMAP,
                "host": server.host,
                "port": server.ports["imap"],
                "login": box.login,
                "password": box.password,
            },
        )
        start = time.perf_counter()
        stored = 0
        while stored < count:
            result = fetch_account(account)
            assert result.ok, result.error
            stored += result.stored
            if not result.more:
                break
        seconds = time.perf_counter() - start
        assert stored == count, (stored, count)
    finally:
        server.stop()
    _rate("fetch (IMAP, dovecot on loopback)", count, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plain", type=int, default=500)
    parser.add_argument("--large", type=int, default=20)
    parser.add_argument("--pipe", type=int, default=20)
    parser.add_argument("--fetch", type=int, default=300)
    args = parser.parse_args()
    _setup()
    print(_machine())
    if args.plain:
        bench_pipeline(args.plain, label="pipeline, plain")
    if args.large:
        bench_pipeline(args.large, attach=1024 * 1024, label="pipeline, 1 MiB attachment")
    if args.pipe:
        bench_pipe(args.pipe)
    if args.fetch:
        bench_fetch(args.fetch)


if __name__ == "__main__":
    main()
