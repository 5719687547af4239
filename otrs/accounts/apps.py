from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _

from .middleware import renewed_at_sign_in


class AccountsConfig(AppConfig):
    name = "otrs.accounts"
    label = "accounts"
    verbose_name = _("Agents, groups and roles")

    def ready(self) -> None:
        # Imported here: the module reads models, ready only now.
        from . import sessions

        # Module-level receivers: signals hold weak references.
        user_logged_in.connect(renewed_at_sign_in, dispatch_uid="accounts.renewed_at_sign_in")
        user_logged_in.connect(sessions.record_sign_in, dispatch_uid="accounts.record_sign_in")
