"""``manage.py escalation_rebuild``: compute the escalation columns of every open ticket
(OTRS Maint::Ticket::EscalationIndexRebuild), e.g. after an upgrade that added them, after
editing a calendar, or when the event handler was down. Safe to run at any time: each
ticket is recomputed under its row lock, as the handler does."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tickets.actions.escalation import recompute_escalations
from tickets.choices import VIEWABLE_STATE_TYPES
from tickets.models import Ticket

BATCH = 500


class Command(BaseCommand):
    help = "Recompute the escalation times of all open tickets (or of those given by id)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Only these ticket ids.")
        parser.add_argument(
            "--all-states",
            action="store_true",
            help="Closed and merged tickets too (clears stale values).",
        )

    def handle(self, *args, **options) -> None:
        tickets = Ticket.objects.all()
        if options["ids"]:
            tickets = tickets.filter(pk__in=options["ids"])
        elif not options["all_states"]:
            tickets = tickets.filter(state__state_type__in=VIEWABLE_STATE_TYPES)
        ids = list(tickets.order_by("pk").values_list("pk", flat=True))
        changed = 0
        for start in range(0, len(ids), BATCH):
            changed += recompute_escalations(ids[start : start + BATCH])
            done = min(start + BATCH, len(ids))
            self.stdout.write(f"\r{done}/{len(ids)} tickets", ending="")
            self.stdout.flush()
        self.stdout.write(f"\n{changed} of {len(ids)} tickets had new escalation times.")
