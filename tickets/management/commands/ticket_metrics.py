"""``manage.py ticket_metrics``: write the metrics rows the reports read (issue 14 part 6).

``--backfill`` writes the rows of tickets that have none yet (tickets from before the
metrics existed, or while the handler was down), in batches in id order, each batch in its
own transaction; stopped half-way, the next run goes on where it stopped (it looks for
tickets still without a row). ``--all`` writes every ticket's row again (after editing a
calendar or the SLA targets); ids given write just those.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets.metrics import BATCH, missing_ids, refresh_metrics
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Write the tickets' metrics rows (for reports): --backfill, --all, or ids."

    def add_arguments(self, parser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="Only these ticket ids.")
        parser.add_argument(
            "--backfill", action="store_true", help="Tickets without a metrics row (resumable)."
        )
        parser.add_argument("--all", action="store_true", help="Every ticket again.")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH, help=f"Tickets per batch ({BATCH})."
        )

    def handle(self, *args, **options) -> None:
        batch = options["batch_size"]
        if batch < 1 or batch > 10000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        chosen = [bool(options["ids"]), options["backfill"], options["all"]]
        if sum(chosen) != 1:
            raise CommandError("Give ticket ids, --backfill or --all (one of them).")
        now = timezone.now()
        if options["ids"]:
            done = refresh_metrics(options["ids"], now=now)
            self.stdout.write(f"{done} ticket(s) written.")
            return
        if options["all"]:
            tickets = Ticket.objects.all()
        else:
            tickets = Ticket.objects.filter(metrics__isnull=True)
        total = tickets.count()
        done, after = 0, 0
        self._progress(done, total)
        while True:
            if options["backfill"]:
                ids = missing_ids(after, batch)
            else:
                ids = list(
                    Ticket.objects.filter(pk__gt=after)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch]
                )
            if not ids:
                break
            done += refresh_metrics(ids, now=now)
            after = ids[-1]
            self._progress(min(done, total), total)
        self.stdout.write(f"\n{done} ticket(s) written.")

    def _progress(self, done: int, total: int) -> None:
        """A progress bar on one line: ``[#####.....]  50% 150/300``."""
        width = 30
        share = done / total if total else 1.0
        filled = int(width * share)
        bar = "#" * filled + "." * (width - filled)
        self.stdout.write(f"\r[{bar}] {share:4.0%} {done}/{total}", ending="")
        if hasattr(self.stdout, "flush"):
            self.stdout.flush()
