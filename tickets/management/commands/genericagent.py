"""``manage.py genericagent --list`` and ``--run NAME [--dry-run]`` (OTRS
``Maint::GenericAgent::Run``): list the jobs, or run one now and print its trace."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tickets.automation import changes
from tickets.automation.engine import run_job, run_scheduled
from tickets.models import GenericAgentJob, RunStatus, RunTrigger


class Command(BaseCommand):
    help = "List GenericAgent jobs, or run one (optionally as a dry run)."

    def add_arguments(self, parser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--list", action="store_true", help="List the jobs.")
        group.add_argument("--run", metavar="NAME", help="Run the job NAME now.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only show which tickets the job would change, and how.",
        )

    def handle(self, *args, **options) -> None:
        if options["list"]:
            self._list()
            return
        job = GenericAgentJob.objects.filter(name=options["run"]).first()
        if job is None:
            raise CommandError(
                _("There is no GenericAgent job “%(name)s”.") % {"name": options["run"]}
            )
        if options["dry_run"]:
            run = run_job(job, trigger=RunTrigger.COMMAND, dry_run=True)
        else:
            done = run_scheduled(job.pk, trigger=RunTrigger.COMMAND)
            if done is None:
                raise CommandError(_("The job “%(name)s” is running already.") % {"name": job.name})
            run = done
        self._report(run)
        if run.status in (RunStatus.REFUSED, RunStatus.FAILED, RunStatus.LOOP_STOPPED):
            raise CommandError(run.message)

    def _list(self) -> None:
        jobs = list(GenericAgentJob.objects.order_by("name"))
        if not jobs:
            self.stdout.write(_("No GenericAgent jobs."))
        for job in jobs:
            state = _("on") if job.valid else _("off")
            when = ", ".join(filter(None, [job.schedule, ", ".join(job.events)])) or "-"
            last = job.last_run_at.isoformat() if job.last_run_at else "-"
            self.stdout.write(f"{job.name}\t{state}\t{when}\t{_('last run')}: {last}")

    def _report(self, run) -> None:
        self.stdout.write(
            _(
                "%(job)s (%(kind)s, run #%(run)s): %(status)s; matched %(matched)s, "
                "limit %(limit)s, left by the limit %(over)s, %(verb)s %(changed)s, "
                "skipped %(skipped)s, failed %(failed)s."
            )
            % {
                "job": run.job_name,
                "kind": _("dry run") if run.dry_run else _("run"),
                "run": run.pk,
                "status": run.get_status_display(),
                "matched": run.matched,
                "limit": run.limit,
                "over": run.over_limit,
                "verb": _("would change") if run.dry_run else _("changed"),
                "changed": run.changed,
                "skipped": run.skipped,
                "failed": run.failed,
            }
        )
        if run.message:
            self.stdout.write(run.message)
        for item in run.items_preview:
            described = "; ".join(f"{w}: {o} -> {n}" for w, o, n in changes.describe(item.changes))
            line = f"  {item.ticket_number}\t{item.get_outcome_display()}\t{described}"
            self.stdout.write(f"{line}\t{item.reason}".rstrip())
