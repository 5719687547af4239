"""Splitting a ticket: a new ticket made from one article (OTRS AgentTicketSplit)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from ..choices import HistoryType, LinkType
from ..models import Article, Ticket
from ._base import _locked, _require
from .articles import create_phone_ticket
from .email import create_email_ticket
from .history import record_history
from .links import link_tickets

# The Misc history row on the split ticket (tickets.history renders it).
SPLIT_EVENT = "Split"


def split_ticket(
    source: Ticket, from_article: Article, *, actor: User, as_email: bool = False, **create
) -> Ticket:
    """A new ticket from ``from_article`` of ``source``, made as a new phone ticket with
    ``create``'s arguments (those of :func:`create_phone_ticket`; the screen prefills them
    from the article) and linked as the child of ``source``, as OTRS's split does. With
    ``as_email``, a new email ticket instead (:func:`create_email_ticket`'s arguments): its
    first article is a mail to the customer, queued in the same transaction. The
    source's history names the new ticket and the article. All or nothing; the actor needs
    ``rw`` on the source (the link) and ``create`` in the new ticket's queue."""
    if from_article.ticket_id != source.pk:
        raise DomainError(_("That article is not on this ticket."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        locked = _locked(source)
        _require(actor, locked, PermissionKey.RW)
        make = create_email_ticket if as_email else create_phone_ticket
        new = make(actor=actor, **create)
        link_tickets(locked, new, LinkType.PARENT_CHILD, actor=actor)
        record_history(
            locked,
            HistoryType.MISC,
            actor,
            article=from_article,
            new=new.pk,
            extra={"event": SPLIT_EVENT, "number": new.number},
        )
    return new
