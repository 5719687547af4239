from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Webhooks: the apps' ``api/webhooks.py`` register their events; the outbox feeds them."""

    name = "otrs.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        autodiscover_modules("api.webhooks")
        # Imported here: the handler needs the models, ready only now.
        from . import delivery

        delivery.subscribe()
