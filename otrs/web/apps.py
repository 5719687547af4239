from django.apps import AppConfig

from . import lookups


class WebConfig(AppConfig):
    """Registers the integer ``in`` lookup (:mod:`otrs.web.lookups`)."""

    name = "otrs.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        lookups.register()
