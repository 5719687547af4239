"""``manage.py ticket_counts``: check the maintained ticket counts per queue, state and lock
(:mod:`tickets.ticket_counts`) against a fresh count, or rebuild them, e.g. after a restore
or after rows were written past the actions; ``--fold`` moves the recorded changes into the
counts (what the daemon does every minute). Exits with status 1 when ``--verify`` finds a
difference, so a monitoring check can run it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tickets import ticket_counts


class Command(BaseCommand):
    help = (
        "Rebuild the maintained ticket counts per queue, state and lock "
        "(or --verify them, or --fold their recorded changes into them)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Only compare them with a fresh count; exit 1 on a difference.",
        )
        parser.add_argument(
            "--fold",
            action="store_true",
            help="Only move the changes the ticket actions recorded into the counts.",
        )

    def handle(self, *args, **options) -> None:
        if options["fold"] and options["verify"]:
            raise CommandError("Use --fold or --verify, not both.")
        if options["fold"]:
            moved = ticket_counts.fold()
            self.stdout.write(f"Folded {moved} recorded change(s) into the ticket counts.")
            return
        if not options["verify"]:
            keys = ticket_counts.rebuild()
            self.stdout.write(f"Rebuilt the ticket counts: {keys} queue/state/lock keys.")
            return
        wrong = ticket_counts.verify()
        for (queue_id, state_id, lock), (kept, fresh) in wrong.items():
            self.stdout.write(
                f"queue {queue_id}, state {state_id}, {lock}: kept {kept}, counted {fresh}"
            )
        if wrong:
            raise CommandError(
                f"{len(wrong)} count(s) differ; run 'manage.py ticket_counts' to rebuild them."
            )
        self.stdout.write("The ticket counts agree with a fresh count.")
