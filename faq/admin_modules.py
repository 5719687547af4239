"""The FAQ's modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "faq_categories",
        _("FAQ categories"),
        _("The knowledge base's categories and who may read and write them."),
        "admin:faq_faqcategory_changelist",
        Category.CMDB_FAQ,
        order=30,
        permissions=("faq.view_faqcategory",),
    ),
    AdminModule(
        "faq_settings",
        _("FAQ settings"),
        _("Text format, vote scale and review period of the knowledge base."),
        "admin:faq_faqsettings_changelist",
        Category.CMDB_FAQ,
        order=40,
        permissions=("faq.view_faqsettings",),
    ),
]
