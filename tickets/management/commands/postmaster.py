"""``manage.py postmaster``: read one mail from standard input (an MTA pipe), or reprocess
quarantined mail.

For postfix (``/etc/aliases``: ``support: "|/opt/otrs/.venv/bin/python /opt/otrs/manage.py
postmaster"``), procmail or ``.forward``. The exit status tells the MTA what happened:

- 0: the message is stored (processed, or quarantined for an administrator to look at);
- 75 (EX_TEMPFAIL): it could not be stored now (database away, disk full, a forced queue
  that does not exist); the MTA keeps it and tries again later, so nothing is lost.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tickets.models import InboundMessage, InboundSource, InboundStatus, Queue
from tickets.postmaster.intake import receive, reprocess, reprocess_all

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Read one raw mail from standard input and turn it into a ticket or follow-up "
        "(exit 75 when it cannot be stored now), or reprocess quarantined mail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", help="Put a new ticket into this queue (full name).")
        parser.add_argument(
            "--untrusted",
            action="store_true",
            help="Ignore X-OTRS-* headers in the mail (filters may still set them).",
        )
        parser.add_argument(
            "--reprocess",
            nargs="*",
            type=int,
            metavar="ID",
            help="Process quarantined messages again: the given ids, or all of them.",
        )

    def handle(self, *args, **options):
        if options["reprocess"] is not None:
            return self._reprocess(options["reprocess"])
        try:
            self._pipe(options)
        except (SystemExit, CommandError):
            raise
        except Exception as exc:  # any failure to store means "try again later"
            sys.stderr.write(f"postmaster: message not stored, try again later: {exc}\n")
            sys.exit(EX_TEMPFAIL)

    def _pipe(self, options) -> None:
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("postmaster: standard input holds no message")
        queue = None
        if options["queue"]:
            queue = Queue.objects.filter(full_name=options["queue"]).first()
            if queue is None:
                sys.stderr.write(
                    f"postmaster: no queue named {options['queue']!r}; the message is left "
                    "with the MTA for a later try\n"
                )
                sys.exit(EX_TEMPFAIL)
        try:
            inbound = receive(
                raw, source=InboundSource.PIPE, queue=queue, trusted=not options["untrusted"]
            )
        except (DatabaseError, OSError) as exc:
            sys.stderr.write(f"postmaster: message not stored, try again later: {exc}\n")
            sys.exit(EX_TEMPFAIL)
        if options["verbosity"] >= 1:
            self.stdout.write(_describe(inbound))

    def _reprocess(self, ids: list[int]) -> None:
        if not ids:
            ok, failed = reprocess_all()
            self.stdout.write(f"{ok} processed, {failed} still quarantined")
            if failed:
                raise CommandError(f"{failed} message(s) still fail; see the admin for errors")
            return
        failed = 0
        for pk in ids:
            inbound = InboundMessage.objects.filter(pk=pk).first()
            if inbound is None:
                self.stderr.write(f"#{pk}: no such inbound message")
                failed += 1
                continue
            inbound = reprocess(inbound)
            self.stdout.write(_describe(inbound))
            failed += inbound.status == InboundStatus.QUARANTINED
        if failed:
            raise CommandError(f"{failed} message(s) not processed")


def _describe(inbound) -> str:
    if inbound.is_duplicate:
        return f"#{inbound.pk}: already stored earlier ({inbound.outcome})"
    if inbound.status == InboundStatus.QUARANTINED:
        return f"#{inbound.pk}: quarantined: {(inbound.error_text.splitlines() or [''])[-1]}"
    ticket = f" ticket {inbound.ticket.number}" if inbound.ticket_id else ""
    return f"#{inbound.pk}: {inbound.outcome}{ticket}"
