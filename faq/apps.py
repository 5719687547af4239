from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FaqConfig(AppConfig):
    """The knowledge base; its models arrive with the FAQ issue."""

    name = "faq"
    verbose_name = _("FAQ")
