from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "otrs.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        # Imported here: the models, and the modules that read them, are ready only now.
        from django.db.models.signals import post_delete, post_save

        from otrs.accounts import gates

        from . import maintenance
        from .models import MaintenanceWindow

        gates.register(maintenance.sign_in_gate)
        for signal in (post_save, post_delete):
            signal.connect(
                maintenance.forget, sender=MaintenanceWindow, dispatch_uid=f"ops.forget.{signal}"
            )
