"""Operations on the admin dashboard (see :mod:`otrs.web.admin_modules`): health, maintenance,
sessions, the system log and the support bundle."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

from .dashboard import health_box

modules = [
    AdminModule(
        "system_health",
        _("System health"),
        _("The environment checks, the daemon's heartbeat and the queue backlogs."),
        "admin:health",
        Category.ADMINISTRATION,
        order=10,
        permissions=("ops.view_health",),
    ),
    AdminModule(
        "maintenance",
        _("System maintenance"),
        _("Maintenance windows: a banner for agents and customers, sign-in for admins only."),
        "admin:ops_maintenancewindow_changelist",
        Category.ADMINISTRATION,
        order=20,
        permissions=("ops.view_maintenancewindow",),
    ),
    AdminModule(
        "sessions",
        _("Sessions"),
        _("Who is signed in (agents and customers), and ending a session."),
        "admin:sessions",
        Category.ADMINISTRATION,
        order=30,
        permissions=("ops.end_session",),
    ),
    AdminModule(
        "system_log",
        _("System log"),
        _("The application's recent log records, errors and warnings first, by level."),
        "admin:system_log",
        Category.ADMINISTRATION,
        order=40,
        permissions=("ops.view_systemlog",),
    ),
    AdminModule(
        "support_bundle",
        _("Support bundle"),
        _("Versions, checks, settings without secrets and the recent log, in one download."),
        "admin:support_bundle",
        Category.ADMINISTRATION,
        order=50,
        permissions=("ops.download_supportbundle",),
    ),
]

panels = {"dashboard": [health_box]}
