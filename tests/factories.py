"""Test data built through the real actions (no fixtures, no direct field writes on tickets)."""

from __future__ import annotations

import itertools

from otrs.accounts.models import Group, GroupGrant, Role, RoleGrant, User, UserKind
from otrs.mail.models import OutboundMessage
from otrs.permissions import PermissionKey
from tickets import actions
from tickets.choices import Channel, SenderType
from tickets.models import (
    Article,
    ArticleFlag,
    Attachment,
    MailDelivery,
    MergeRecord,
    Priority,
    Queue,
    State,
    Ticket,
    TicketFlag,
    TicketHistory,
    TicketLink,
    TicketNumberCounter,
    TicketWatcher,
)

_seq = itertools.count(1)


def agent(username: str | None = None, **extra) -> User:
    username = username or f"agent{next(_seq)}"
    return User.objects.create_user(username=username, password="x", kind=UserKind.AGENT, **extra)


def customer(username: str | None = None) -> User:
    username = username or f"customer{next(_seq)}"
    return User.objects.create_user(username=username, password="x", kind=UserKind.CUSTOMER)


def group(name: str | None = None, **extra) -> Group:
    return Group.objects.create(name=name or f"group{next(_seq)}", **extra)


def queue(name: str | None = None, *, group_: Group | None = None, parent=None) -> Queue:
    return Queue.objects.create(
        name=name or f"Queue {next(_seq)}", group=group_ or group(), parent=parent
    )


def grant(user: User, group_: Group, *keys: str) -> None:
    for key in keys:
        GroupGrant.objects.create(user=user, group=group_, key=key)


def role(name: str | None = None, *, members=(), grants=()) -> Role:
    """grants: (group, key) pairs."""
    created = Role.objects.create(name=name or f"role{next(_seq)}")
    created.members.set(members)
    for group_, key in grants:
        RoleGrant.objects.create(role=created, group=group_, key=key)
    return created


def state(name: str) -> State:
    return State.objects.get(name=name)


def system() -> User:
    return User.objects.get(username="system")


def ticket(
    queue_: Queue,
    *,
    actor: User | None = None,
    title: str = "Printer on fire",
    body: str = "It smokes.",
    **kwargs,
):
    """A ticket with one customer phone article, created by the system user by default."""
    return actions.create_ticket(
        title=title,
        queue=queue_,
        actor=actor or system(),
        article=actions.ArticleInput(
            channel=Channel.PHONE,
            sender_type=SenderType.CUSTOMER,
            body=body,
            subject=title,
            is_visible_for_customer=True,
        ),
        **kwargs,
    )


def note(ticket_, *, actor: User | None = None, body: str = "A note."):
    return actions.add_article(
        ticket_, actions.ArticleInput(body=body, subject="Note"), actor=actor or system()
    )


RW = PermissionKey.RW
RO = PermissionKey.RO


def priority(level: int):
    return Priority.objects.get(level=level)


def refetch(user: User) -> User:
    """A fresh copy of ``user``: no grants cached on it from earlier checks."""
    return User.objects.get(pk=user.pk)


def snapshot() -> dict:
    """Every row an action could write, to show that a refused action wrote nothing."""
    ids = {
        model.__name__: list(model.objects.order_by("pk").values_list("pk", flat=True))
        for model in (
            TicketHistory,
            Article,
            Attachment,
            ArticleFlag,
            TicketFlag,
            TicketWatcher,
            MergeRecord,
        )
    }
    return {
        **ids,
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "links": list(TicketLink.objects.order_by("pk").values()),
        "counters": list(TicketNumberCounter.objects.order_by("pk").values()),
    }


def queued_mail(*, ticket, article=None, **fields):
    """A row of the outgoing queue that carries ``ticket``'s (and ``article``'s) mail, as
    ``tickets.deliveries.enqueue`` leaves it, with ``fields`` set on the queued message."""
    message = OutboundMessage.objects.create(**fields)
    MailDelivery.objects.create(message=message, ticket=ticket, article=article)
    return message
