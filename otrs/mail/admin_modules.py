"""The mail transport's modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category

modules = [
    AdminModule(
        "mail_accounts",
        _("Mail accounts"),
        _("IMAP and POP3 mailboxes the daemon fetches, with password or OAuth2."),
        "admin:mail_mailaccount_changelist",
        Category.COMMUNICATION,
        order=10,
        permissions=("mail.view_mailaccount",),
    ),
    AdminModule(
        "outgoing_mail",
        _("Outgoing mail"),
        _("The queue of mail waiting to be sent, failed sends and retries."),
        "admin:mail_outboundmessage_changelist",
        Category.COMMUNICATION,
        order=60,
        permissions=("mail.view_outboundmessage",),
    ),
    AdminModule(
        "mail_health",
        _("Mail health"),
        _("Last fetch and errors per account, outgoing backlog, the mail spool."),
        "admin:mail_health",
        Category.COMMUNICATION,
        order=70,
        permissions=("mail.view_mailaccount",),
    ),
]
