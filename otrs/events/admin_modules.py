"""The event outbox's module on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "event_deliveries",
        _("Event deliveries"),
        _("Each event handler's delivery: failed ones with their error, and retry."),
        "admin:events_eventdelivery_changelist",
        Category.ADMINISTRATION,
        order=70,
        permissions=("events.view_eventdelivery",),
    ),
]
