"""``manage.py acls export`` (YAML to standard output) and ``manage.py acls import FILE``
(all or nothing; a refused file names each ACL and part)."""

from __future__ import annotations

from tickets.automation import portable
from tickets.models import AclRule

from ._yaml_command import YamlCommand


class Command(YamlCommand):
    help = "Export or import ACLs as YAML."
    what = "ACLs"
    importer = staticmethod(portable.import_acls)

    def export_text(self) -> str:
        return portable.export_acls(AclRule.objects.order_by("name"))
