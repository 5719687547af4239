"""The customers' modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "customer_users",
        _("Customer users"),
        _("The customers' logins and their companies (written from the agent portal)."),
        "admin:customers_customeruser_changelist",
        Category.USERS,
        order=20,
        permissions=("customers.view_customeruser",),
    ),
    AdminModule(
        "customer_companies",
        _("Customer companies"),
        _("The companies customer users belong to."),
        "admin:customers_customercompany_changelist",
        Category.USERS,
        order=25,
        permissions=("customers.view_customercompany",),
    ),
]
