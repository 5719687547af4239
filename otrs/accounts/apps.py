from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "otrs.accounts"
    label = "accounts"
    verbose_name = _("Agents, groups and roles")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import sessions

        user_logged_in.connect(sessions.record_sign_in, dispatch_uid="accounts.record_sign_in")
