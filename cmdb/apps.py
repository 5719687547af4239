from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    """Configuration items: classes, versions, links, incident propagation."""

    name = "cmdb"
    verbose_name = _("Configuration management")

    def ready(self) -> None:
        # Imported here: the registrations name models, ready only now.
        from . import create_panel, fields, receivers

        fields.register()
        receivers.register()
        create_panel.register_panel()
