"""The custom fields' module on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "custom_fields",
        _("Custom fields"),
        _("Extra fields on tickets, articles, customers and configuration items."),
        "admin:fields_fielddefinition_changelist",
        Category.AUTOMATION,
        order=30,
        permissions=("fields.view_fielddefinition",),
    ),
]
