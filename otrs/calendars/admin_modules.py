"""The calendars' module on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "calendars",
        _("Business calendars"),
        _("Working hours, holidays and time zones that escalation times count in."),
        "admin:calendars_calendar_changelist",
        Category.TICKETS,
        order=80,
        permissions=("calendars.view_calendar",),
    ),
]
