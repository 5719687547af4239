"""How many bytes the inbound mail store costs per mail: database growth (PostgreSQL
``pg_total_relation_size`` of the mail and article tables) plus the attachment files on disk,
per plain mail and per mail with a 1 MiB attachment, against the raw size.

Run it from the checkout to measure (it makes and drops its own database)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/otrs_store_bench \\
        .venv/bin/python bench/bench_store.py --mails 200 [--storage db|fs]

Each mail is distinct (its own Message-ID, text and random attachment), so nothing is
deduplicated that a real mailbox would not deduplicate either; a last round forwards the
attachment mails (another text, the same file) to show what a thread or a forward adds.
``--storage`` sets ``ATTACHMENT_STORAGE`` (files, or blob rows in the database).
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

TABLES = (
    "mail_inboundmessage",
    "tickets_rawmail",
    "tickets_articleraw",
    "tickets_attachment",
    "tickets_article",
    "tickets_contentblob",
    "tickets_contentchunk",
)
WORDS = [
    "printer",
    "network",
    "invoice",
    "password",
    "server",
    "laptop",
    "monitor",
    "access",
    "please",
    "urgent",
    "broken",
    "since",
    "yesterday",
    "cannot",
    "login",
    "again",
    "thanks",
    "regards",
    "meeting",
    "update",
    "report",
    "customer",
]


def plain_mail(n: int, rng: random.Random) -> bytes:
    body = "\r\n".join(
        " ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(rng.randint(20, 40))
    )
    return (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: Problem number {n}\r\nMessage-ID: <plain-{n}@example.com>\r\n"
        "Date: Mon, 02 Mar 2026 10:15:00 +0100\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def attachment_mail(n: int, rng: random.Random) -> bytes:
    encoded = base64.b64encode(rng.randbytes(1024 * 1024))
    lines = b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    head = (
        f"From: Customer {n} <c{n}@example.com>\r\nTo: support@helpdesk.test\r\n"
        f"Subject: Scan {n}\r\nMessage-ID: <scan-{n}@example.com>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThe scan is attached.\r\n--b1\r\n"
        f'Content-Type: application/pdf; name="scan{n}.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment; filename="scan{n}.pdf"\r\n\r\n'
    ).encode()
    return head + lines + b"\r\n--b1--\r\n"


def measure(files: Path) -> tuple[int, int]:
    # Imported here: Django is set up in main(), after ATTACHMENT_DIR is chosen.
    from django.db import connection

    total = 0
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is None:
                continue
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            total += cursor.fetchone()[0]
    on_disk = sum(
        (Path(root) / name).stat().st_size for root, _d, names in os.walk(files) for name in names
    )
    return total, on_disk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=200)
    parser.add_argument("--large-mails", type=int, default=None, help="default: --mails")
    parser.add_argument("--storage", choices=["fs", "db"], default="fs")
    args = parser.parse_args()
    files = Path(tempfile.mkdtemp(prefix="bench-store-"))
    os.environ["ATTACHMENT_DIR"] = str(files)
    os.environ["ATTACHMENT_STORAGE"] = args.storage
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")
    # Imported here: the settings read ATTACHMENT_DIR, set just above.
    import django

    django.setup()
    # Imported here: only once Django is set up.
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "postgresql", "measures PostgreSQL (pg_total_relation_size)"
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        call_command("migrate", verbosity=0)
        # Imported here: the models need the migrated test database's settings.
        from tickets.postmaster.intake import receive

        rng = random.Random(10)
        sent: list[bytes] = []

        def forwarded(n: int, rng: random.Random) -> bytes:
            return (
                sent[n]
                .replace(b"Subject: Scan", b"Subject: Fwd: Scan")
                .replace(b"Message-ID: <scan-", b"Message-ID: <fwd-")
                .replace(b"The scan is attached.", b"Forwarded, with the scan.")
            )

        def keep(make):
            def made(n: int, rng: random.Random) -> bytes:
                sent.append(make(n, rng))
                return sent[-1]

            return made

        print(f"ATTACHMENT_STORAGE={args.storage}")
        for label, make in (
            ("plain", plain_mail),
            ("1 MiB attachment", keep(attachment_mail)),
            ("forward of those (same file)", forwarded),
        ):
            count = args.mails if make is plain_mail else (args.large_mails or args.mails)
            db0, fs0 = measure(files)
            raw_total = 0
            for n in range(count):
                raw = make(n, rng)
                raw_total += len(raw)
                stored = receive(raw, source="pipe")
                assert stored.status == "processed", stored.error
            db1, fs1 = measure(files)
            grown = (db1 - db0) + (fs1 - fs0)
            print(
                f"{label}: {count} mails, raw {raw_total / count / 1024:.1f} KiB each; "
                f"database +{(db1 - db0) / count / 1024:.1f} KiB, "
                f"files +{(fs1 - fs0) / count / 1024:.1f} KiB per mail; "
                f"stored / raw = {grown / raw_total:.2f}"
            )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        shutil.rmtree(files, ignore_errors=True)


if __name__ == "__main__":
    main()
