"""``manage.py genericagent_jobs export`` (YAML to standard output) and
``manage.py genericagent_jobs import FILE`` (all or nothing; a refused file names each job
and part; a job that deletes tickets comes in switched off)."""

from __future__ import annotations

from tickets.automation import portable
from tickets.models import GenericAgentJob

from ._yaml_command import YamlCommand


class Command(YamlCommand):
    help = "Export or import GenericAgent jobs as YAML."
    what = "GenericAgent jobs"
    importer = staticmethod(portable.import_jobs)

    def export_text(self) -> str:
        return portable.export_jobs(
            GenericAgentJob.objects.select_related("run_as").order_by("name")
        )
