from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DaemonConfig(AppConfig):
    name = "otrs.daemon"
    label = "daemon"
    verbose_name = _("Daemon")
