from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DaemonConfig(AppConfig):
    name = "otrs.daemon"
    label = "daemon"
    verbose_name = _("Daemon")

    def ready(self) -> None:
        # Imported here: ``import otrs`` does not load the Celery app (that would cost every
        # MTA pipe delivery a third of a second); load it now, so @shared_task binds to it and
        # tasks sent from the web and the commands use the configured broker.
        from otrs.celery import app  # noqa: F401
