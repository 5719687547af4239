"""``manage.py mailqueue``: the outgoing mail queue for operators.

``--list`` (the default) shows what waits, is being sent or failed (``--all``: sent and
bounced mail too); ``--send`` sends every due message now, as the daemon does each minute;
``--retry ID`` (repeatable) and ``--retry-failed`` make failed or waiting messages due again
with a fresh count of attempts and send them at once. Sent mail is never sent again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs.mail import sending
from otrs.mail.models import OutboundMessage, OutboundStatus

OPEN = (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.FAILED)


class Command(BaseCommand):
    help = "List, send and retry the outgoing mail queue."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--list", action="store_true", help="List waiting, sending and failed messages."
        )
        parser.add_argument(
            "--all", action="store_true", help="With --list: sent and bounced messages too."
        )
        parser.add_argument("--send", action="store_true", help="Send every due message now.")
        parser.add_argument(
            "--retry",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="Send this failed or waiting message again now (repeatable).",
        )
        parser.add_argument(
            "--retry-failed", action="store_true", help="Send every failed message again now."
        )
        parser.add_argument(
            "--limit", type=int, default=100, help="With --list: at most this many rows."
        )

    def handle(self, *args, **options) -> None:
        acted = False
        if options["retry"] or options["retry_failed"]:
            self._retry(options["retry"], everything_failed=options["retry_failed"])
            acted = True
        if options["send"]:
            sent = sending.send_due()
            self.stdout.write(
                ngettext("%(count)d message sent.", "%(count)d messages sent.", sent)
                % {"count": sent}
            )
            acted = True
        if options["list"] or not acted:
            self._list(include_done=options["all"], limit=max(options["limit"], 1))

    def _retry(self, pks: list[int], *, everything_failed: bool) -> None:
        unknown = set(pks) - set(
            OutboundMessage.objects.filter(pk__in=pks).values_list("pk", flat=True)
        )
        if unknown:
            raise CommandError(
                _("No outgoing message with id %(ids)s.")
                % {"ids": ", ".join(map(str, sorted(unknown)))}
            )
        wanted = set(pks)
        if everything_failed:
            wanted |= set(
                OutboundMessage.objects.filter(status=OutboundStatus.FAILED).values_list(
                    "pk", flat=True
                )
            )
        queued = sending.requeue(sorted(wanted))
        for pk in sorted(wanted - set(queued)):
            self.stderr.write(
                _("Message %(id)d left alone: it is sent or being sent.") % {"id": pk}
            )
        for pk in queued:
            status = sending.send_one(pk)
            row = OutboundMessage.objects.defer("raw").get(pk=pk)
            if status == OutboundStatus.SENT:
                self.stdout.write(_("Message %(id)d sent.") % {"id": pk})
            else:
                self.stdout.write(
                    _("Message %(id)d not sent (%(status)s): %(error)s")
                    % {"id": pk, "status": row.get_status_display(), "error": row.last_error}
                )

    def _list(self, *, include_done: bool, limit: int) -> None:
        rows = OutboundMessage.objects.defer("raw")
        if not include_done:
            rows = rows.filter(status__in=OPEN)
        listed = list(rows.order_by("-created_at", "-id")[:limit])
        if not listed:
            self.stdout.write(_("The outgoing queue is empty."))
            return
        for row in listed:
            when = row.sent_at if row.status == OutboundStatus.SENT else row.next_attempt_at
            line = (
                f"{row.pk:>6}  {row.status:<8} {row.attempts:>2}  "
                f"{timezone.localtime(when):%Y-%m-%d %H:%M}  "
                f"{row.kind:<21}  "
                f"{', '.join(row.recipients)}  {row.subject}"
            )
            self.stdout.write(line)
            if row.last_error:
                for error in row.last_error.splitlines():
                    self.stdout.write(f"{'':>8}{error}")
