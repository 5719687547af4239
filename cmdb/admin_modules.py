"""The CMDB's module on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "cmdb_classes",
        _("CMDB classes"),
        _("Configuration item classes and their attribute definitions."),
        "agent:cmdb",
        Category.CMDB_FAQ,
        order=10,
    ),
]
