"""Mail intake throughput (not a test): messages per second with one worker.

    createdb -h 127.0.0.1 -U postgres otrs_bench_mail
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_bench_mail
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/bench_mail.py [--plain 500] [--large 20] [--pipe 20] [--fetch 300] \\
        [--lmtp 200]

Five measurements, each in one process (one worker), one message after the other:

- **pipeline, plain**: ``tickets.postmaster.intake.receive`` on distinct small mails (half new
  tickets, half follow-ups by subject number): raw store, parse, filters, follow-up
  detection, ticket actions, article, raw copy, history, auto-response check;
- **pipeline, 1 MB attachment**: the same with a 1 MiB base64 attachment per mail;
- **the MTA pipe**, one process per mail, wall and CPU per run: a bare ``python -c pass``
  for scale, ``otrs-postmaster`` (spools without Django; the daemon's spool intake measured
  after it) and ``manage.py postmaster`` (interpreter and Django start-up included);
- **LMTP**: ``manage.py lmtpd`` started on this database, messages over one connection
  (rate, and latency from the end of DATA to the 250);
- **fetch**: mails appended to a dovecot IMAP mailbox (started from a temporary config, as
  the tests do), then one ``fetch_account`` run that fetches, stores, processes and deletes
  them all.

``--group``: the in-process and worker runs hand their mails to ``receive_many`` per
``POSTMASTER_GROUP_SIZE`` (the group commit of a worker draining a backlog, as the spool
drain does) instead of ``receive`` per mail.

Rows made here stay in the database (it is a benchmark database).
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import os
import resource
import smtplib
import socket
import statistics
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
from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connections  # noqa: E402

from otrs.events import delivery  # noqa: E402
from otrs.events.models import EventBatch  # noqa: E402
from otrs.mail import spool  # noqa: E402
from otrs.mail.fetching import fetch_account  # noqa: E402
from otrs.mail.models import MailAccount, Protocol  # noqa: E402
from tests.mail import dovecot  # noqa: E402
from tickets.choices import AutoResponseType  # noqa: E402
from tickets.models import (  # noqa: E402
    Article,
    AutoResponse,
    InboundSource,
    InboundStatus,
    Queue,
    QueueAutoResponse,
    SystemAddress,
)
from tickets.postmaster.intake import Incoming, receive, receive_many  # noqa: E402

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


def _setup(*, auto_reply: bool = False) -> None:
    queue = Queue.objects.get(full_name="Misc")
    address, _created = SystemAddress.objects.get_or_create(
        email=ADDRESS, defaults={"display_name": "Bench", "queue": queue}
    )
    if auto_reply:
        # The full semantics: an auto reply to each new ticket, an auto follow-up to each
        # follow-up (a mail queued per message, with its article and history).
        for kind in (AutoResponseType.AUTO_REPLY, AutoResponseType.AUTO_FOLLOW_UP):
            response, _created = AutoResponse.objects.get_or_create(
                name=f"bench {kind}",
                defaults={
                    "subject": "We got your mail",
                    "text": "Dear <OTRS_CUSTOMER_REALNAME>, ticket <OTRS_TICKET_TicketNumber>.",
                    "response_type": kind,
                    "system_address": address,
                },
            )
            QueueAutoResponse.objects.update_or_create(
                queue=queue, response_type=kind, defaults={"auto_response": response}
            )
    else:
        QueueAutoResponse.objects.filter(
            queue=queue, auto_response__name__startswith="bench "
        ).delete()


def _receive_all(raws: list[bytes]):
    """Each mail through ``receive`` (a commit for its store and one for its processing),
    or with ``--group`` as a worker draining a backlog (the spool, a mailbox) does:
    ``receive_many`` per ``POSTMASTER_GROUP_SIZE`` mails, a commit for the group's store
    and one per processing group."""
    if "--group" not in sys.argv:
        for raw in raws:
            yield receive(raw, source=InboundSource.PIPE)
        return
    size = settings.POSTMASTER_GROUP_SIZE
    for start in range(0, len(raws), size):
        yield from receive_many(
            [Incoming(raw=raw, source=InboundSource.PIPE) for raw in raws[start : start + size]]
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


def bench_new(count: int, *, attach: int = 0, label: str = "in-process, new tickets") -> None:
    """Only new tickets: wall and worker CPU milliseconds per mail."""
    raws = [message(f"Request {i}", attach=attach) for i in range(count)]
    receive(message("warm-up"), source=InboundSource.PIPE)
    first_batch = _last_batch()
    start, cpu = time.perf_counter(), time.process_time()
    for stored in _receive_all(raws):
        assert stored.status == InboundStatus.PROCESSED, stored.error
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _rate(label, count, seconds, sum(len(r) for r in raws) / 1e6 if attach else 0.0)
    print(f"{'':<40} worker CPU {cpu * 1000 / count:.2f} ms/mail")
    _deliver_after(first_batch, count)


def _last_batch() -> int:

    return EventBatch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _deliver_after(first_batch: int, count: int) -> None:
    """The work the intake left to the event worker (notifications, auto responses), done
    here in-process for the batches the run recorded (``--deliver``)."""
    if "--deliver" not in sys.argv:
        return

    pks = list(EventBatch.objects.filter(pk__gt=first_batch).values_list("pk", flat=True))
    start = time.perf_counter()
    for pk in pks:
        delivery.deliver_batch(pk)
    seconds = time.perf_counter() - start
    print(
        f"{'':<40} then the event worker: {len(pks)} batches in {seconds:.2f} s, "
        f"{seconds * 1000 / count:.2f} ms/mail (notifications, auto responses)"
    )


def bench_followups(count: int, *, tickets: int = 20) -> None:
    """Only follow-ups (by the number in the subject), spread over ``tickets`` tickets."""
    numbers = [
        receive(message(f"Follow-up target {i}"), source=InboundSource.PIPE).ticket.number
        for i in range(tickets)
    ]
    raws = [message(f"Re: [Ticket#{numbers[i % tickets]}] more") for i in range(count)]
    first_batch = _last_batch()
    start, cpu = time.perf_counter(), time.process_time()
    for stored in _receive_all(raws):
        assert stored.status == InboundStatus.PROCESSED, stored.error
        assert stored.outcome == "follow_up", stored.outcome
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _rate("in-process, follow-ups", count, seconds)
    print(f"{'':<40} worker CPU {cpu * 1000 / count:.2f} ms/mail")
    _deliver_after(first_batch, count)


# --- several worker processes -----------------------------------------------------------------


def _worker(raws: list[bytes], barrier, results) -> None:
    """One worker process: its own database connection, its mails one after the other."""

    errors = deadlocks = left = 0
    barrier.wait()
    start, cpu = time.time(), time.process_time()
    received = _receive_all(raws)
    while True:
        try:
            stored = next(received)
        except StopIteration:
            break
        except DatabaseError as exc:  # could not even store it (the pipe would answer 75)
            deadlocks += "deadlock" in str(exc).lower()
            errors += 1
            received = _receive_all(raws[len(raws) :])  # a broken generator: stop
            continue
        if stored.status == InboundStatus.PROCESSING:
            # A copy of a mail another worker claimed and is processing right now: left
            # to it (its ticket is counted below), not an error.
            left += 1
            continue
        if stored.status not in (InboundStatus.PROCESSED, InboundStatus.IGNORED):
            deadlocks += "deadlock" in (stored.error or "").lower()
            errors += 1
    end = time.time()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((start, end, time.process_time() - cpu, errors, deadlocks, rss_mb, left))


def bench_workers(
    workers: int, count: int, *, attach: int = 0, same: bool = False, followups: bool = False
) -> None:
    """``workers`` processes (fork; each opens its own connection) handing in ``count``
    distinct mails between them, or with ``same`` each of them all the same ``count`` mails
    (as an MTA retrying, or two fetchers of one mailbox): then every mail must still make
    exactly one ticket. Reports mails/s, duplicates (more than one article for one
    Message-ID), mails lost, errors and deadlocks, and each worker's peak RSS."""

    targets = []
    if followups:  # spread over 20 tickets, as follow-ups are
        targets = [
            receive(message(f"Workers' target {i}"), source=InboundSource.PIPE).ticket.number
            for i in range(20)
        ]
    raws = [
        message(
            f"Re: [Ticket#{targets[i % 20]}] w{i}" if targets else f"Worker mail {i}",
            attach=attach,
        )
        for i in range(count)
    ]
    ids = [_message_id(raw) for raw in raws]
    shares = [raws] * workers if same else [raws[w::workers] for w in range(workers)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(workers), context.Queue()
    procs = [context.Process(target=_worker, args=(share, barrier, results)) for share in shares]
    for proc in procs:
        proc.start()
    done = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    seconds = max(d[1] for d in done) - min(d[0] for d in done)
    per_id = dict.fromkeys(ids, 0)
    for mid in Article.objects.filter(message_id__in=ids).values_list("message_id", flat=True):
        per_id[mid] += 1
    duplicates = sum(max(0, n - 1) for n in per_id.values())
    lost = sum(1 for n in per_id.values() if n == 0)
    handed = count * workers if same else count
    kind = "same bytes to each" if same else "follow-ups" if followups else "distinct"
    label = f"{workers} worker(s), {kind}" + (", 1 MiB" if attach else "")
    _rate(label, handed, seconds)
    cpu = sum(d[2] for d in done) * 1000 / handed
    print(
        f"{'':<40} duplicates {duplicates}, lost {lost}, errors {sum(d[3] for d in done)}, "
        f"left to the claiming worker {sum(d[6] for d in done)}, "
        f"deadlocks {sum(d[4] for d in done)}, worker CPU {cpu:.2f} ms/mail, "
        f"peak RSS per worker {max(d[5] for d in done):.0f} MB"
    )


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode()
    raise ValueError("no Message-ID")


def _per_process(
    label: str, command: list[str], inputs: list[bytes], *, quiet: bool = False, **kwargs
) -> None:
    """Run ``command`` once per input, one after the other: wall and CPU (user + system,
    from the children's rusage) per run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for data in inputs:
        done = subprocess.run(  # noqa: S603 - our own commands
            command, input=data, capture_output=True, check=False, **kwargs
        )
        assert done.returncode == 0, done.stderr
        assert not (quiet and done.stderr), done.stderr
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    n = len(inputs)
    print(
        f"{label:<40} {n:>6} runs {wall / n * 1000:8.1f} ms wall {cpu / n * 1000:8.1f} ms CPU"
        f"  {n / wall:8.1f} msg/s"
    )


def bench_pipe(count: int) -> None:
    """The MTA pipe, one process per mail: a bare interpreter for scale, ``otrs-postmaster``
    (spool only; the daemon's intake of the spool measured after it), and the old
    ``manage.py postmaster`` (Django start-up included)."""
    raws = [message(f"Pipe {i}") for i in range(count)]
    bare = getattr(sys, "_base_executable", sys.executable)  # the interpreter under the venv
    _per_process("python3 -c pass (bare interpreter)", [bare, "-c", "pass"], [b""] * count)
    if Path("/usr/bin/python3").exists():
        _per_process("/usr/bin/python3 -c pass", ["/usr/bin/python3", "-c", "pass"], [b""] * count)
    _per_process("python -c pass (the venv)", [sys.executable, "-c", "pass"], [b""] * count)
    # The call the console script's wrapper makes, run in this checkout (the installed
    # script of a shared editable venv may point at another work tree).
    wrapper = "import sys; from otrs.mail.pipe import main; sys.exit(main())"
    command = [sys.executable, "-c", wrapper]
    with tempfile.TemporaryDirectory(prefix="otrs-spool-bench-") as directory:
        env = {**os.environ, "MAIL_SPOOL_DIR": directory}
        _per_process("otrs-postmaster (spool)", command, raws, quiet=True, cwd=BASE_DIR, env=env)
        # The same module without site-packages (python -S): no .pth or editable finder.
        fast = [sys.executable, "-S", "-m", "otrs.mail.pipe"]
        again = [message(f"Pipe -S {i}") for i in range(count)]
        _per_process(
            "python -S -m otrs.mail.pipe (spool)", fast, again, quiet=True, cwd=BASE_DIR, env=env
        )
        start = time.perf_counter()
        result = spool.drain(Path(directory))
        assert result.stored == 2 * count, result.errors
        _rate("spool intake (drain, into tickets)", 2 * count, time.perf_counter() - start)
    _per_process(
        "manage.py postmaster (process per mail)",
        [sys.executable, "manage.py", "postmaster", "-v0"],
        [message(f"Old pipe {i}") for i in range(count)],
        cwd=BASE_DIR,
    )


def bench_lmtp(count: int) -> None:
    """LMTP delivery to ``manage.py lmtpd`` (started here on this database) over one
    connection: messages per second, and each message's latency (DATA sent to 250)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="otrs-lmtp-bench-") as directory:
        env = {**os.environ, "MAIL_SPOOL_DIR": directory}
        daemon = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "manage.py", "lmtpd", "--listen", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(600):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            raws = [message(f"LMTP {i}") for i in range(count)]
            client = smtplib.LMTP("127.0.0.1", port)
            client.ehlo_or_helo_if_needed()
            latencies = []
            start = time.perf_counter()
            for raw in raws:
                client.mail("customer@customer.test")
                client.rcpt(ADDRESS)
                client.putcmd("data")
                assert client.getreply()[0] == 354
                sent = time.perf_counter()
                client.send(smtplib._quote_periods(raw) + b".\r\n")
                code, text = client.getreply()
                assert code == 250, text
                latencies.append(time.perf_counter() - sent)
            seconds = time.perf_counter() - start
            client.quit()
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
    _rate("LMTP, one connection", count, seconds)
    latencies.sort()
    print(
        f"{'LMTP latency per message':<40} median {statistics.median(latencies) * 1000:.1f} ms,"
        f" 95th {latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} ms"
    )


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
    parser.add_argument("--lmtp", type=int, default=200)
    parser.add_argument("--new", type=int, default=0, help="new-ticket mails alone")
    parser.add_argument("--followups", type=int, default=0, help="follow-up mails alone")
    parser.add_argument(
        "--workers",
        default="",
        help="comma-separated process counts, e.g. 1,2,4 (each hands in --worker-mails)",
    )
    parser.add_argument("--worker-mails", type=int, default=400)
    parser.add_argument("--worker-large", type=int, default=0, help="1 MiB mails per run")
    parser.add_argument("--same", type=int, default=0, help="mails each worker gets alike")
    parser.add_argument(
        "--auto-reply",
        action="store_true",
        help="link an auto reply and an auto follow-up to the bench queue (else unlinked)",
    )
    parser.add_argument(
        "--group",
        action="store_true",
        help="--new, --followups, --workers: receive_many per POSTMASTER_GROUP_SIZE mails "
        "(group commit, as the spool drain) instead of receive per mail",
    )
    parser.add_argument(
        "--deliver",
        action="store_true",
        help="after --new/--followups, run the event handlers of their batches and time them",
    )
    args = parser.parse_args()
    _setup(auto_reply=args.auto_reply)
    print(_machine())
    if args.plain:
        bench_pipeline(args.plain, label="pipeline, plain")
    if args.large:
        bench_pipeline(args.large, attach=1024 * 1024, label="pipeline, 1 MiB attachment")
    if args.new:
        bench_new(args.new)
    if args.followups:
        bench_followups(args.followups)
    for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
        bench_workers(workers, args.worker_mails)
        bench_workers(workers, args.worker_mails, followups=True)
        if args.worker_large:
            bench_workers(workers, args.worker_large, attach=1024 * 1024)
        if args.same and workers > 1:
            bench_workers(workers, args.same, same=True)
    if args.pipe:
        bench_pipe(args.pipe)
    if args.fetch:
        bench_fetch(args.fetch)
    if args.lmtp:
        bench_lmtp(args.lmtp)


if __name__ == "__main__":
    main()
