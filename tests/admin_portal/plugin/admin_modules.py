"""An extension's module and dashboard panel (tests/admin_portal/test_dashboard.py)."""

from django.utils.html import format_html

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "plugin_backups",
        "Backups (plug-in)",
        "Verified backups made by the operations package.",
        "admin:index",
        Category.ADMINISTRATION,
    )
]


def status(request):
    return format_html('<p id="plugin-panel">{}</p>', "Last backup verified")


panels = {"dashboard": [status]}
