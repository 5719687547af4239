"""``manage.py mailspool``: store what ``otrs-postmaster`` spooled now (the daemon does this
every few seconds), list the messages moved aside into ``failed/``, or put them back."""

from __future__ import annotations

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from otrs.mail import spool


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _(
            "Store the mail waiting in the mail spool now, list the spooled messages that "
            "could not be stored, or put those back for another try."
        )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--failed",
            action="store_true",
            help=_("List the messages moved aside into failed/, with their errors."),
        )
        which.add_argument(
            "--requeue-failed",
            action="store_true",
            help=_("Put the messages moved aside back into the spool for another try."),
        )

    def handle(self, *args, **options):
        if options["failed"]:
            for message in spool.failed_messages():
                when = datetime.fromtimestamp(message.failed_at, tz=UTC).isoformat(" ", "seconds")
                self.stdout.write(f"{message.path}  {message.size}  {when}  {message.error}")
            return
        if options["requeue_failed"]:
            count = spool.requeue_failed()
            self.stdout.write(_("%(count)d message(s) put back into the spool") % {"count": count})
            return
        result = spool.drain()
        self.stdout.write(
            _("%(stored)d stored, %(retried)d to be tried again, %(failed)d moved aside")
            % {"stored": result.stored, "retried": result.retried, "failed": result.failed}
        )
        for error in result.errors:
            self.stderr.write(error)
        if result.failed or result.retried:
            raise CommandError(_("Some spooled messages could not be stored; see above."))
