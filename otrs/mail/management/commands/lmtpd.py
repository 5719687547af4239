"""``manage.py lmtpd``: the LMTP listener MTAs deliver inbound mail to, which also stores what
``otrs-postmaster`` spooled (:mod:`otrs.mail.lmtp`). Runs until SIGTERM; ``make run`` and
``deploy/systemd/otrs-lmtpd.service`` start it next to the Celery worker."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from otrs.mail import lmtp


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _(
            "Listen for LMTP deliveries from the mail server and store the spooled mail of "
            "otrs-postmaster, until stopped."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--listen",
            metavar="ADDRESSES",
            help=_("host:port and/or unix:/path, comma-separated (default: LMTP_LISTEN)."),
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help=_("How often to look into the mail spool (default: every second)."),
        )

    def handle(self, *args, **options):
        value = options["listen"] or settings.LMTP_LISTEN
        try:
            addresses = lmtp.parse_addresses(value)
        except ValueError as exc:
            raise CommandError(_("LMTP_LISTEN: %(error)s") % {"error": exc}) from None
        if options["poll"] <= 0:
            raise CommandError(_("--poll must be more than 0 seconds."))

        def ready() -> None:
            self.stdout.write(
                _("LMTP listening on %(addresses)s")
                % {"addresses": ", ".join(str(a) for a in addresses)}
            )
            sys.stdout.flush()

        try:
            lmtp.run(addresses, poll=options["poll"], ready=ready)
        except OSError as exc:
            raise CommandError(_("Cannot listen: %(error)s") % {"error": exc}) from None
