from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Imported here, not at the top: the receivers import models, which the app registry
        # has ready only now.
        from . import fields, masterdata, receivers
        from .automation import acl

        fields.register()

        masterdata.connect()
        receivers.subscribe()
        receivers.connect_mail_channel()
        acl.connect()
