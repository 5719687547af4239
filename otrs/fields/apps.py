from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _definitions_changed(**kwargs) -> None:
    """A definition or a possible value was saved or deleted: drop the cached definitions now
    (this transaction reads its own change) and after the commit (another process may have
    cached the old rows in between)."""
    # Imported here: the selectors import models, which are not ready when this module loads.
    from django.db import transaction

    from .selectors import invalidate_definitions

    invalidate_definitions()
    transaction.on_commit(invalidate_definitions)


class FieldsConfig(AppConfig):
    name = "otrs.fields"
    label = "fields"
    verbose_name = _("Custom fields")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: the models are ready only now.
        from django.db.models.signals import post_delete, post_save

        from .models import FieldDefinition, PossibleValue

        # A module-level receiver: signals keep weak references, and a function defined in
        # here would be collected as soon as ready() returns (it was, until stop 22: the cache
        # was never dropped, so a changed definition stayed invisible for CACHE_TIMEOUT).
        for model in (FieldDefinition, PossibleValue):
            post_save.connect(
                _definitions_changed, sender=model, dispatch_uid=f"fields-cache-save-{model}"
            )
            post_delete.connect(
                _definitions_changed, sender=model, dispatch_uid=f"fields-cache-del-{model}"
            )
