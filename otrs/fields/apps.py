from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldsConfig(AppConfig):
    name = "otrs.fields"
    label = "fields"
    verbose_name = _("Custom fields")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the models are ready only now.
        from django.db import transaction
        from django.db.models.signals import post_delete, post_save

        from .models import FieldDefinition, PossibleValue
        from .selectors import invalidate_definitions

        def changed(**kwargs) -> None:
            # Now (this transaction reads its own change) and after the commit (another
            # process may have cached the old rows in between).
            invalidate_definitions()
            transaction.on_commit(invalidate_definitions)

        for model in (FieldDefinition, PossibleValue):
            post_save.connect(changed, sender=model, dispatch_uid=f"fields-cache-save-{model}")
            post_delete.connect(changed, sender=model, dispatch_uid=f"fields-cache-del-{model}")
