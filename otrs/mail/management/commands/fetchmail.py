"""``manage.py fetchmail``: fetch mail accounts now (OTRS ``Maint::PostMaster::MailAccountFetch``).

Without options every valid account is fetched, whatever its interval (``--all`` says the
same explicitly); ``--account NAME`` (repeatable) fetches the named ones, valid or not;
``--due`` only those whose interval has passed, as the daemon does every minute. One line per
account; the exit status is 1 when any account failed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from otrs.mail import fetching
from otrs.mail.models import MailAccount


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        # A property: argparse needs a real string, translated when the command runs.
        return _(
            "Fetch mail from the mail accounts now: every valid one (the default), the named "
            "ones, or only those whose interval has passed."
        )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--account",
            action="append",
            metavar="NAME",
            help=_("Fetch this account (valid or not); may be given more than once."),
        )
        which.add_argument(
            "--all",
            action="store_true",
            help=_("Fetch every valid account, whatever its interval (the default)."),
        )
        which.add_argument(
            "--due",
            action="store_true",
            help=_("Fetch only the valid accounts whose interval has passed."),
        )

    def handle(self, *args, **options):
        accounts = self._accounts(options)
        if not accounts:
            self.stdout.write(_("No mail account to fetch."))
            return
        failed = 0
        for result in fetching.fetch_accounts(accounts):
            if result.ok:
                self.stdout.write(result.summary())
            else:
                failed += 1
                self.stderr.write(result.summary())
        if failed:
            raise CommandError(
                ngettext(
                    "%(count)d mail account failed.", "%(count)d mail accounts failed.", failed
                )
                % {"count": failed},
                returncode=1,
            )

    def _accounts(self, options) -> list[MailAccount]:
        if options["due"]:
            return fetching.due_accounts()
        every = MailAccount.objects.all()
        names = options["account"]
        if not names:
            return list(every.filter(is_valid=True))
        found = {account.name: account for account in every.filter(name__in=names)}
        missing = [name for name in names if name not in found]
        if missing:
            raise CommandError(
                _("No mail account named %(names)s.") % {"names": ", ".join(map(repr, missing))}
            )
        # In the order given, each once.
        return [found[name] for name in dict.fromkeys(names)]
