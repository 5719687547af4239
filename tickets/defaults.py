"""The default master data of a new installation (OTRS initial_insert), applied by a data
migration. ``install`` takes an app registry so that the migration can pass its
historical models; it only adds what is missing, so it is safe to run again."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from otrs.accounts.models import SYSTEM_USERNAME

from .choices import StateType

GROUPS = [
    ("users", "Group for default access."),
    ("admin", "Group of all administrators."),
    ("stats", "Group for statistics access."),
]

STATES = [
    (gettext_noop("new"), StateType.NEW, "New ticket created by customer."),
    (gettext_noop("closed successful"), StateType.CLOSED, "Ticket is closed successful."),
    (gettext_noop("closed unsuccessful"), StateType.CLOSED, "Ticket is closed unsuccessful."),
    (gettext_noop("open"), StateType.OPEN, "Open tickets."),
    (gettext_noop("removed"), StateType.REMOVED, "Customer removed ticket."),
    (
        gettext_noop("pending reminder"),
        StateType.PENDING_REMINDER,
        "Ticket is pending for agent reminder.",
    ),
    (
        gettext_noop("pending auto close+"),
        StateType.PENDING_AUTO,
        "Ticket is pending for automatic close.",
    ),
    (
        gettext_noop("pending auto close-"),
        StateType.PENDING_AUTO,
        "Ticket is pending for automatic close.",
    ),
    (gettext_noop("merged"), StateType.MERGED, "State for merged tickets."),
]

PRIORITIES = [
    (1, gettext_noop("1 very low")),
    (2, gettext_noop("2 low")),
    (3, gettext_noop("3 normal")),
    (4, gettext_noop("4 high")),
    (5, gettext_noop("5 very high")),
]

TICKET_TYPES = [(gettext_noop("Unclassified"), True)]

QUEUES = [
    ("Postmaster", "Postmaster queue."),
    ("Raw", "All default incoming tickets."),
    ("Junk", "All junk tickets."),
    ("Misc", "All misc tickets."),
]


def install(apps) -> None:
    User = apps.get_model("accounts", "User")
    Group = apps.get_model("accounts", "Group")
    State = apps.get_model("tickets", "State")
    Priority = apps.get_model("tickets", "Priority")
    TicketType = apps.get_model("tickets", "TicketType")
    Queue = apps.get_model("tickets", "Queue")

    if not User.objects.filter(username=SYSTEM_USERNAME).exists():
        # The actor of automatic changes and the owner of unowned tickets (OTRS user 1).
        # It has no usable password and never signs in.
        User.objects.create(
            username=SYSTEM_USERNAME,
            kind="system",
            first_name="System",
            password="!",  # noqa: S106 (an unusable hash, not a password)
            is_active=True,
        )
    for name, comment in GROUPS:
        Group.objects.get_or_create(name=name, defaults={"comment": comment})
    for name, state_type, comment in STATES:
        State.objects.get_or_create(
            name=name, defaults={"state_type": state_type, "comment": comment}
        )
    for level, name in PRIORITIES:
        Priority.objects.get_or_create(level=level, defaults={"name": name})
    for name, is_default in TICKET_TYPES:
        TicketType.objects.get_or_create(name=name, defaults={"is_default": is_default})
    users = Group.objects.get(name="users")
    for name, comment in QUEUES:
        # Historical models have no custom save(), so full_name is set here.
        Queue.objects.get_or_create(
            full_name=name, defaults={"name": name, "group": users, "comment": comment}
        )
