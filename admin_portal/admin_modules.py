"""The dashboard's own screens as modules of itself (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "permissions",
        _("Permissions"),
        _("Group ↔ agents, group ↔ roles and role ↔ agents as grids, with their history."),
        "admin:permissions",
        Category.USERS,
        order=50,
        permissions=("accounts.change_group", "accounts.change_role"),
    ),
    AdminModule(
        "scheduled_jobs",
        _("Scheduled jobs"),
        _("The daemon's recurring jobs (mail fetching, escalations, clean-up) and when they run."),
        "admin:scheduled_jobs",
        Category.AUTOMATION,
        order=40,
        permissions=("django_celery_beat.view_periodictask",),
    ),
    AdminModule(
        "system_configuration",
        _("System configuration"),
        _("Business policy settings (sign-in limits and more): value, default, history."),
        "admin:configuration",
        Category.ADMINISTRATION,
        order=5,
        permissions=("policy.view_policyvalue",),
    ),
]
