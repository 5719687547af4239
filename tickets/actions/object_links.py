"""Links between a ticket and objects of other apps (FAQ items, configuration items): the
ticket's side of them, its history rows, and putting an FAQ item into an answer.

The other app keeps its link table and its own history; the ticket records the change in its
history as OTRS does (``TicketLinkAdd`` / ``TicketLinkDelete``, with ``object`` naming the
kind of the other end), so both ends show it. The FAQ is below tickets in the import layers
and its actions are called from here; the CMDB is above and calls
:func:`record_object_link` from its own link actions.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from faq import actions as faq_actions
from faq.models import FaqItem, FaqTicketLink
from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from ..choices import HistoryType
from ..models import Ticket
from ._base import _locked, _require
from .history import record_history

#: The kinds of objects a ticket is linked to, as ``object`` in the history rows.
FAQ_ITEM = "faq"
CONFIG_ITEM = "configitem"
#: A Misc history row with this event: an FAQ item went into an answer being written.
FAQ_INSERT_EVENT = "FAQInsert"


def record_object_link(
    ticket: Ticket,
    *,
    kind: str,
    object_id: int,
    number: str,
    link_type: str,
    actor: User,
    removed: bool = False,
) -> None:
    """The ticket's history row for a link to another app's object made (or ``removed``)
    by that app's action, in its transaction. The caller checked the actor may see the
    ticket; the ticket row is locked while the row is written."""
    locked = _locked(ticket)
    record_history(
        locked,
        HistoryType.TICKET_LINK_DELETE if removed else HistoryType.TICKET_LINK_ADD,
        actor,
        old=object_id if removed else "",
        new="" if removed else object_id,
        extra={"object": kind, "number": number, "link_type": link_type},
    )


def _faq_item(item: FaqItem, actor: User) -> FaqItem:
    found = faq_actions.readable_item(item, actor)
    if found is None:
        raise DomainError(_("No such FAQ item."), code=ErrorCode.NOT_ALLOWED)
    return found


def link_faq_item(
    ticket: Ticket, item: FaqItem, *, actor: User, need: str = PermissionKey.RW
) -> FaqTicketLink:
    """Link an FAQ item the actor reads to a ticket they may change (``need``; a duplicate
    is a no-op); both the item's and the ticket's history record it."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        item = _faq_item(item, actor)
        link, created = faq_actions.link_ticket(item, locked, actor=actor)
        if created:
            record_object_link(
                locked,
                kind=FAQ_ITEM,
                object_id=item.pk,
                number=item.number,
                link_type="normal",
                actor=actor,
            )
        return link


def unlink_faq_item(ticket: Ticket, item: FaqItem, *, actor: User) -> None:
    """Remove the link between a ticket and an FAQ item (rw on the ticket)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if faq_actions.unlink_ticket(item, locked, actor=actor):
            record_object_link(
                locked,
                kind=FAQ_ITEM,
                object_id=item.pk,
                number=item.number,
                link_type="normal",
                actor=actor,
                removed=True,
            )


def insert_faq_item(
    ticket: Ticket, item: FaqItem, *, actor: User, need: str = PermissionKey.RW
) -> FaqItem:
    """An agent put ``item`` (published, readable to them) into an answer of ``ticket``:
    the ticket's history records it and the item is linked to the ticket. ``need``: the
    key the agent must hold on the ticket (``create`` for the first article of a ticket
    they are creating, ``note`` for a note)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        item = _faq_item(item, actor)
        if item.live_revision_id is None or not item.is_valid:
            raise DomainError(
                _("Only a valid, published FAQ item can go into an answer."),
                code=ErrorCode.NOT_ALLOWED,
            )
        link_faq_item(locked, item, actor=actor, need=need)
        record_history(
            locked,
            HistoryType.MISC,
            actor,
            new=item.pk,
            extra={
                "event": FAQ_INSERT_EVENT,
                "object": FAQ_ITEM,
                "number": item.number,
                "state": item.state,
            },
        )
        return item


__all__ = [
    "CONFIG_ITEM",
    "FAQ_ITEM",
    "create_faq_item_from_ticket",
    "insert_faq_item",
    "link_faq_item",
    "record_object_link",
    "unlink_faq_item",
]


def create_faq_item_from_ticket(
    ticket: Ticket,
    category,
    content: faq_actions.Content,
    *,
    actor: User,
    language: str,
    state: str,
    note: str = "",
    submit: bool = True,
    field_values: dict | None = None,
) -> FaqItem:
    """A new FAQ item written from ``ticket`` (its text prefilled by the screen from the
    ticket's articles), linked to the ticket, in one transaction: the FAQ's rules decide
    who may write in ``category``, the ticket's who may link it (``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        item = faq_actions.create_item(
            category,
            content,
            actor=actor,
            language=language,
            state=state,
            note=note,
            submit=submit,
            field_values=field_values,
        )
        link_faq_item(locked, item, actor=actor)
        return item
