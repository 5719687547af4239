from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from .customer_notifications import on_ticket_event as notify_customer
        from .events import ticket_event
        from .notifications import on_ticket_event

        # A fixed uid: connecting twice (a test re-running ready()) keeps one receiver.
        ticket_event.connect(on_ticket_event, dispatch_uid="tickets.notifications")
        ticket_event.connect(notify_customer, dispatch_uid="tickets.customer_notifications")
