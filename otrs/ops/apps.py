from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "otrs.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from otrs.accounts import gates

        from . import maintenance

        gates.register(maintenance.sign_in_gate)
