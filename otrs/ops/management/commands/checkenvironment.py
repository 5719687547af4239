"""``manage.py checkenvironment``: is this installation in order? One line per check (versions,
database, migrations, broker, daemon heartbeat, search, mail accounts, outgoing queue, disk),
each problem with the command that fixes it.

Exit status as monitoring plugins read it: 0 all OK, 1 a warning, 2 an error. ``--json``
prints the same as a JSON list for scripts.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from otrs.ops import checks


class Command(BaseCommand):
    requires_system_checks: list = []
    # The command must report pending migrations, not refuse to start over them.
    requires_migrations_checks = False

    @property
    def help(self) -> str:  # type: ignore[override]  # translated at run time, not import
        return _(
            "Check the environment (versions, database, migrations, broker, daemon, search, "
            "mail, disk) and say how to fix each problem. Exit status 0 OK, 1 warning, 2 error."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help=_("Print JSON for scripts."))

    def handle(self, *args, **options) -> None:
        results = checks.run()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "name": r.name,
                            "label": r.label,
                            "status": r.status,
                            "detail": r.detail,
                            "fix": r.fix,
                        }
                        for r in results
                    ],
                    indent=2,
                )
            )
        else:
            self._print(results)
        # SystemExit rather than CommandError: a warning is not an error message on stderr.
        status = checks.EXIT_STATUS[checks.worst(results)]
        if status:
            sys.exit(status)

    def _print(self, results: list[checks.Result]) -> None:
        styles = {
            checks.OK: self.style.SUCCESS,
            checks.WARNING: self.style.WARNING,
            checks.ERROR: self.style.ERROR,
        }
        width = max(len(r.label) for r in results)
        for result in results:
            status = styles[result.status](f"{checks.STATUS_LABELS[result.status]:<7}")
            self.stdout.write(f"{status} {result.label:<{width}}  {result.detail}")
            if result.fix:
                self.stdout.write(
                    f"{'':<7} {'':<{width}}  " + _("fix: %(fix)s") % {"fix": result.fix}
                )
        problems = [r for r in results if not r.ok]
        if problems:
            self.stdout.write(
                _("%(count)d of %(total)d checks need attention.")
                % {"count": len(problems), "total": len(results)}
            )
        else:
            self.stdout.write(self.style.SUCCESS(_("Everything is in order.")))
