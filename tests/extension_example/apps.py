from django.apps import AppConfig


class ExtensionExampleConfig(AppConfig):
    name = "tests.extension_example"
    label = "extension_example"
    verbose_name = "Example extension"

    def ready(self) -> None:
        # Imported here: models are importable only once the app registry is ready.
        from otrs import events
        from tickets.events import TicketEvent

        from . import receivers

        events.subscribe(
            receivers.HANDLER, receivers.on_new_tickets, events=[TicketEvent.TICKET_CREATE]
        )
