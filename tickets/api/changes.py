"""What the API's write endpoints ask of the ticket actions: parsed input in, the same
actions as the screens out (history, events, permission checks, edit conflicts).

A PATCH of several fields is one transaction: each field is its own action (one history row
each), and a refused one leaves the ticket as it was. The version the client saw
(``If-Match``) goes to every action as ``expected_version``, checked inside its row lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from otrs.accounts.models import User

from .. import actions
from ..automation import acl
from ..choices import Channel, LockState, SenderType
from ..forms.composer import agents_named
from ..models import Article, Ticket


def article_input(data: Mapping[str, Any], actor: User) -> actions.ArticleInput:
    files = tuple(
        actions.AttachmentInput(
            filename=f["filename"], content=f["content"], content_type=f["content_type"]
        )
        for f in data.get("attachments", ())
    )
    if actor.is_customer:
        # The customer actions make it the customer's web message whatever is asked.
        return actions.ArticleInput(
            channel=Channel.WEB,
            sender_type=SenderType.CUSTOMER,
            is_visible_for_customer=True,
            subject=data.get("subject", ""),
            body=data["body"],
            attachments=files,
        )
    return actions.ArticleInput(
        channel=data.get("channel", Channel.INTERNAL),
        sender_type=SenderType.AGENT,
        subject=data.get("subject", ""),
        body=data["body"],
        is_visible_for_customer=data.get("is_visible_for_customer", False),
        attachments=files,
        time_units=data.get("time_units"),
    )


# The ticket fields an ACL may restrict, as the API's input names them.
ACL_FIELDS = ("queue", "state", "priority", "type", "owner", "responsible")
# The screen (ACL action, tickets.automation.acl.ACTIONS) each input of an update does the
# work of: an ACL that takes the action away refuses the input in the API too.
UPDATE_ACTIONS = {
    "queue": "move",
    "owner": "owner",
    "responsible": "responsible_change",
    "priority": "priority",
    "title": "free_fields",
    "type": "free_fields",
    "custom_fields": "free_fields",
    "customer_user": "customer",
    "customer_id": "customer",
}


def check_action(action: str, ticket: Ticket | None, *, actor: User) -> None:
    """Refuse (409, naming the action) an operation whose screen an ACL takes away from
    ``actor`` (evaluated with ``screen = api``)."""
    acl.check_action(action, user=actor, screen="api", tickets=[ticket])


def _update_actions(ticket: Ticket, data: Mapping[str, Any]) -> list[str]:
    found = [action for key, action in UPDATE_ACTIONS.items() if key in data]
    state = data.get("state")
    if state is not None:
        # Closing and setting pending are screens of their own; other states are not.
        if state.is_closed:
            found.append("close")
        elif state.is_pending:
            found.append("pending")
    if data.get("lock"):
        found.append("lock" if data["lock"] == LockState.LOCK else "unlock")
    return list(dict.fromkeys(found))


def _check_acls(data: Mapping[str, Any], *, actor: User, ticket: Ticket | None) -> None:
    """A value an ACL takes away from ``actor`` (screen ``api``) is refused, naming it,
    before anything is written: the forms' rule (:mod:`tickets.automation.acl`). So is an
    update that does the work of a screen an ACL takes away."""
    # A customer's web ticket takes only the queue and the type from the input.
    names = ("queue", "type") if actor.is_customer and ticket is None else ACL_FIELDS
    values: dict[str, Any] = {name: data[name] for name in names if data.get(name) is not None}
    for name, value in (data.get("custom_fields") or {}).items():
        values[acl.FIELD_PREFIX + name] = value
    if ticket is not None and acl.restricts_actions():
        for action in _update_actions(ticket, data):
            check_action(action, ticket, actor=actor)
    acl.check_values(values, user=actor, screen="api", ticket=ticket)


def create(data: Mapping[str, Any], *, actor: User) -> Ticket:
    _check_acls(data, actor=actor, ticket=None)
    article = article_input(data["article"], actor)
    if actor.is_customer:
        return actions.create_web_ticket(
            title=data["title"],
            queue=data["queue"],
            article=article,
            actor=actor,
            ticket_type=data.get("type"),
            field_values=data.get("custom_fields") or None,
        )
    return actions.create_ticket(
        title=data["title"],
        queue=data["queue"],
        actor=actor,
        article=article,
        state=data.get("state"),
        priority=data.get("priority"),
        ticket_type=data.get("type"),
        owner=data.get("owner"),
        customer_user=data.get("customer_user", ""),
        customer_id=data.get("customer_id", ""),
        pending_until=data.get("pending_until"),
        field_values=data.get("custom_fields") or None,
    )


def add_article(ticket: Ticket, data: Mapping[str, Any], *, actor: User) -> Article:
    """The article; an agent's internal note also mentions the agents it names with
    ``@login``, as the note screen does (watchers, history, the "mentioned" notification).
    One who may not read the ticket refuses the whole request: nothing is written."""
    article = article_input(data, actor)
    if actor.is_customer:
        return actions.add_web_follow_up(ticket, article, actor=actor)
    check_action("note", ticket, actor=actor)
    named = agents_named(article.body) if article.channel == Channel.INTERNAL else []
    with transaction.atomic():
        added = actions.add_article(ticket, article, actor=actor)
        if named:
            actions.mention_agents(ticket, added, named, actor=actor)
    return added


def update(ticket: Ticket, data: Mapping[str, Any], *, actor: User, version: str | None) -> Ticket:
    """Apply the changed fields of ``data`` to ``ticket``, all or none. Order as the bulk
    action's: a move first (it unlocks), an unlock last."""
    _check_acls(data, actor=actor, ticket=ticket)
    with transaction.atomic():
        if version is not None:
            actions.expect_version(ticket, version, actor=actor)
        if "queue" in data:
            actions.move_ticket(ticket, data["queue"], actor=actor, expected_version=version)
        if data.get("lock") == LockState.LOCK:
            actions.lock_ticket(ticket, actor=actor, expected_version=version)
        if "title" in data:
            actions.set_title(ticket, data["title"], actor=actor)
        if "type" in data:
            actions.set_type(ticket, data["type"], actor=actor)
        if "owner" in data:
            actions.set_owner(ticket, data["owner"], actor=actor, expected_version=version)
        if "responsible" in data:
            actions.set_responsible(
                ticket, data["responsible"], actor=actor, expected_version=version
            )
        if "priority" in data:
            actions.set_priority(ticket, data["priority"], actor=actor, expected_version=version)
        if "state" in data:
            actions.set_state(
                ticket,
                data["state"],
                actor=actor,
                pending_until=data.get("pending_until"),
                expected_version=version,
            )
        if "customer_user" in data or "customer_id" in data:
            actions.set_customer(
                ticket,
                customer_id=data.get("customer_id", ticket.customer_id),
                customer_user=data.get("customer_user", ticket.customer_user),
                actor=actor,
                expected_version=version,
            )
        if data.get("custom_fields"):
            actions.set_field_values(
                ticket, data["custom_fields"], actor=actor, expected_version=version
            )
        if data.get("lock") == LockState.UNLOCK:
            actions.unlock_ticket(ticket, actor=actor, expected_version=version)
    ticket.refresh_from_db()
    return ticket
