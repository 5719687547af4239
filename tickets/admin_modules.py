"""The ticket domain's modules on the admin dashboard (see :mod:`otrs.web.admin_modules`)."""

from django.utils.translation import gettext_lazy as _

from otrs.web.admin_modules import AdminModule, Category


def _module(key, label, description, model, category, order):
    return AdminModule(
        key,
        label,
        description,
        f"admin:tickets_{model}_changelist",
        category,
        order=order,
        permissions=(f"tickets.view_{model}",),
    )


T, C, A = Category.TICKETS, Category.COMMUNICATION, Category.AUTOMATION
modules = [
    _module(
        "queues",
        _("Queues"),
        _("Where tickets live, their group and escalation times."),
        "queue",
        T,
        10,
    ),
    _module(
        "states",
        _("States"),
        _("Ticket states and their types (open, pending, closed ...)."),
        "state",
        T,
        20,
    ),
    _module(
        "priorities",
        _("Priorities"),
        _("Priority names from very low to very high."),
        "priority",
        T,
        30,
    ),
    _module(
        "ticket_types",
        _("Types"),
        _("Ticket types such as incident or service request."),
        "tickettype",
        T,
        40,
    ),
    _module(
        "services",
        _("Services"),
        _("The services offered to customers, as a tree."),
        "service",
        T,
        50,
    ),
    _module(
        "slas",
        _("Service level agreements"),
        _("Response and solution times per service."),
        "sla",
        T,
        60,
    ),
    _module(
        "system_addresses",
        _("Email addresses"),
        _("The addresses mail is sent from, per queue."),
        "systemaddress",
        C,
        20,
    ),
    _module(
        "salutations",
        _("Salutations"),
        _("Openings of answers, with tags such as the customer's name."),
        "salutation",
        C,
        30,
    ),
    _module(
        "signatures", _("Signatures"), _("Closings of answers, per queue."), "signature", C, 35
    ),
    _module(
        "templates",
        _("Templates"),
        _("Prepared texts for answers, notes and forwards."),
        "standardtemplate",
        C,
        40,
    ),
    _module(
        "text_modules",
        _("Text modules"),
        _("Snippets agents insert into answers and notes, per queue."),
        "textmodule",
        C,
        42,
    ),
    _module(
        "auto_responses",
        _("Auto responses"),
        _("Mail sent automatically on new tickets, follow-ups and rejects."),
        "autoresponse",
        C,
        45,
    ),
    _module(
        "postmaster_filters",
        _("Postmaster filters"),
        _("Rules that set queue, priority or other values on incoming mail."),
        "postmasterfilter",
        C,
        50,
    ),
    _module(
        "inbound_messages",
        _("Incoming mail"),
        _("Every message received, raw; reprocess quarantined ones."),
        "inboundmessage",
        C,
        55,
    ),
    _module(
        "generic_agent",
        _("GenericAgent"),
        _("Jobs that change tickets on a schedule or on events."),
        "genericagentjob",
        A,
        10,
    ),
    _module(
        "generic_agent_runs",
        _("GenericAgent runs"),
        _("What each job run matched and changed."),
        "genericagentrun",
        A,
        15,
    ),
    _module(
        "acls",
        _("Access control lists"),
        _("Rules that restrict the choices agents and customers see."),
        "aclrule",
        A,
        20,
    ),
    _module(
        "ticket_notifications",
        _("Ticket notifications"),
        _("Which agents get which mail on which ticket events; preview and trace."),
        "ticketnotification",
        A,
        30,
    ),
    _module(
        "notification_trace",
        _("Notification trace"),
        _("Every notification sent or skipped, and why."),
        "notificationtrace",
        A,
        35,
    ),
    AdminModule(
        "acl_debugger",
        _("ACL debugger"),
        _("Which ACLs apply to a ticket, user and screen, and what they leave."),
        "admin:tickets_aclrule_debug",
        A,
        order=25,
        permissions=("tickets.view_aclrule",),
    ),
]
