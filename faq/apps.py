from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    """The knowledge base: categories, items with revisions, votes, the three portals."""

    name = "faq"
    verbose_name = _("FAQ")

    def ready(self) -> None:
        # Imported here: the registrations name models, ready only now.
        from . import fields, receivers

        fields.register()
        receivers.register()
