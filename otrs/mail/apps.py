from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "otrs.mail"
    label = "mail"
    verbose_name = _("Email")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the receivers import models, which the app registry has ready only now.
        from otrs import events

        from . import receivers

        events.subscribe(receivers.HANDLER, receivers.send_queued, events=receivers.EVENTS)
