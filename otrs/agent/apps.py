from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentConfig(AppConfig):
    name = "otrs.agent"
    label = "agent"
    verbose_name = _("Agent portal")
