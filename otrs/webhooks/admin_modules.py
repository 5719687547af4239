"""The webhooks' modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "webhooks",
        _("Webhooks"),
        _("Endpoints that receive chosen events as signed HTTP requests, with filters."),
        "admin:webhooks_webhook_changelist",
        Category.COMMUNICATION,
        order=80,
        permissions=("webhooks.view_webhook",),
    ),
    AdminModule(
        "webhook_deliveries",
        _("Webhook deliveries"),
        _("Every request sent to a webhook: response code, duration, answer; send again."),
        "admin:webhooks_webhookdelivery_changelist",
        Category.COMMUNICATION,
        order=81,
        permissions=("webhooks.view_webhookdelivery",),
    ),
]
