"""``manage.py acldebug --agent LOGIN --screen NAME [--ticket NUMBER]``: the ACL debugger.
For the ticket, agent and screen: which rules matched, what each removed or added, and the
final list of every field (the same evaluation the screens use; the admin has the same
debugger as a page)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from tickets.automation.acl import default_options, evaluate, names_of
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Show which ACLs apply to a ticket, agent and screen, and the values left."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--agent", required=True, help="The agent's login.")
        parser.add_argument("--screen", required=True, help="The screen, e.g. phone_ticket.")
        parser.add_argument("--ticket", help="The ticket number (none: a new ticket).")

    def handle(self, *args, **options) -> None:
        agent = User.objects.filter(username=options["agent"]).first()
        if agent is None:
            raise CommandError(_("There is no agent “%(login)s”.") % {"login": options["agent"]})
        ticket = None
        if options["ticket"]:
            ticket = Ticket.objects.select_related("state").filter(number=options["ticket"]).first()
            if ticket is None:
                raise CommandError(
                    _("There is no ticket “%(number)s”.") % {"number": options["ticket"]}
                )
        decision = evaluate(default_options(), ticket=ticket, agent=agent, screen=options["screen"])
        names = {field: names_of(field, ids) for field, ids in decision.original.items()}

        def shown(field: str, ids: list) -> str:
            return ", ".join(str(names[field].get(i, i)) for i in ids) or "-"

        for step in decision.steps:
            verdict = _("matched") if step.matched else _("did not match")
            self.stdout.write(f"{step.rule.name}: {verdict}")
            for field, ids in step.removed.items():
                self.stdout.write(f"  {field} {_('removed')}: {shown(field, ids)}")
            for field, ids in step.added.items():
                self.stdout.write(f"  {field} {_('added')}: {shown(field, ids)}")
        if not decision.steps:
            self.stdout.write(_("No active ACLs."))
        for field, ids in decision.final.items():
            self.stdout.write(f"{field}: {shown(field, ids)}")
