"""The accounts' modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "agents",
        _("Agents"),
        _("Create agents, set their language and time zone, reset passwords, invalidate."),
        "admin:accounts_user_changelist",
        Category.USERS,
        order=10,
        permissions=("accounts.view_user",),
    ),
    AdminModule(
        "groups",
        _("Groups"),
        _("Permission groups: each queue belongs to one."),
        "admin:accounts_group_changelist",
        Category.USERS,
        order=30,
        permissions=("accounts.view_group",),
    ),
    AdminModule(
        "roles",
        _("Roles"),
        _("Bundles of group permissions that agents are members of."),
        "admin:accounts_role_changelist",
        Category.USERS,
        order=40,
        permissions=("accounts.view_role",),
    ),
    AdminModule(
        "throttles",
        _("Sign-in throttles"),
        _("Sign-ins held back after failed attempts; lift a lock."),
        "admin:accounts_throttlecounter_changelist",
        Category.ADMINISTRATION,
        order=60,
        permissions=("accounts.view_throttlecounter",),
    ),
]
