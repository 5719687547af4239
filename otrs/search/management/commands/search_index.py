"""manage.py search_index --rebuild | --check | --status [KIND ...]

The Elasticsearch indexes of the registered kinds (otrs.search.registry); see
otrs.search.maintenance for how a rebuild stays searchable, resumes and swaps.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from otrs.search import maintenance, registry
from otrs.search.maintenance import Progress


class Command(BaseCommand):
    help = "Build (--rebuild), compare and repair (--check) or show (--status) the search index."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--rebuild", action="store_true", help="build a new index, swap")
        action.add_argument("--check", action="store_true", help="compare, reindex what differs")
        action.add_argument("--status", action="store_true", help="aliases, counts, rebuilds")
        parser.add_argument(
            "kinds", nargs="*", help=f"default: all ({', '.join(registry.kinds())})"
        )
        parser.add_argument("--threads", type=int, default=2, help="bulk requests in flight")
        parser.add_argument(
            "--chunk", type=int, default=maintenance.CHUNK, help="documents a request"
        )
        parser.add_argument("--sample", type=int, default=100, help="--check: documents compared")
        parser.add_argument("--no-repair", action="store_true", help="--check: only report")

    def handle(self, *args, **options):
        kinds = options["kinds"] or registry.kinds()
        unknown = sorted(set(kinds) - set(registry.kinds()))
        if unknown:
            raise CommandError(f"unknown kind(s): {', '.join(unknown)}")
        for kind in kinds:
            if options["rebuild"]:
                self._rebuild(kind, options)
            elif options["check"]:
                self._check(kind, options)
            else:
                self._status(kind)

    def _progress(self, progress: Progress) -> None:
        share = progress.done / progress.total if progress.total else 1.0
        bar = "#" * int(share * 30)
        self.stdout.write(
            f"\r{progress.kind:<16} [{bar:<30}] {progress.done}/{progress.total} "
            f"{progress.rate:,.0f}/s",
            ending="",
        )
        self.stdout.flush()

    def _rebuild(self, kind: str, options) -> None:
        progress = maintenance.rebuild(
            kind, threads=options["threads"], chunk=options["chunk"], report=self._progress
        )
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{kind}: {progress.done} documents in {progress.seconds:.1f} s "
                f"({progress.rate:,.0f}/s); alias {maintenance.alias_name(kind)} swapped"
            )
        )

    def _check(self, kind: str, options) -> None:
        result = maintenance.check(kind, sample=options["sample"], repair=not options["no_repair"])
        line = (
            f"{kind}: database {result.database}, index {result.index}, missing {result.missing}, "
            f"extra {result.extra}, stale {result.stale} of {result.sampled} sampled, "
            f"reindexed {result.reindexed}"
        )
        clean = not (result.missing or result.extra or result.stale)
        self.stdout.write(self.style.SUCCESS(line) if clean else self.style.WARNING(line))

    def _status(self, kind: str) -> None:
        s = maintenance.status(kind)
        self.stdout.write(
            f"{kind}: alias {s.alias} -> {', '.join(s.indexes) or '(none: run --rebuild)'}; "
            f"documents {s.documents if s.documents is not None else '-'} "
            f"(database {s.database}); with attachments left out "
            f"{s.skipped_attachments if s.skipped_attachments is not None else '-'}"
        )
        for index in s.building:
            self.stdout.write(f"  rebuild in progress: {index}, done up to id {s.checkpoint}")
