"""The rules for customers as actors, checked inside the generic actions.

A customer (an active login of kind customer with a valid customer user) may, on the tickets
:func:`tickets.access.can` gives them:

* open a ticket for themselves, in a queue (and with a type and service) offered to customers,
  with a web article written by them and visible to them; nothing else about it is theirs to
  choose (state, owner, lock, SLA, dates);
* add such an article to a ticket, unless the ticket is closed and its queue refuses
  follow-ups to closed tickets ("reject" or "new ticket": the web refuses those, spec 3.4);
* close a ticket, while ``CUSTOMER_CAN_CLOSE`` is on.

Every refusal is a :class:`otrs.errors.DomainError` raised before anything is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.mail.outbound import format_address
from otrs.permissions import PermissionKey

from .. import access
from ..choices import Channel, FollowUpOption, LockState, SenderType, StateType
from ..models import SLA, Service, State, Ticket, TicketType
from ._base import ArticleInput

# State types a follow-up counts as written to a closed ticket (the postmaster's as well).
CLOSED_STATE_TYPES = (StateType.CLOSED, StateType.REMOVED)


def _refuse(message: str, code: ErrorCode) -> NoReturn:
    raise DomainError(message, code=code)


def as_customer_message(actor: User, article: ArticleInput) -> ArticleInput:
    """``article`` as the customer's web message, from the customer's own address (so the
    auto response finds them), whatever the caller said about its sender."""
    profile = access.customer_profile(actor)
    sender = ""
    if profile is not None:
        sender = format_address(profile.email, actor.get_full_name()) if profile.email else ""
    return replace(
        article,
        channel=Channel.WEB,
        sender_type=SenderType.CUSTOMER,
        is_visible_for_customer=True,
        from_address=sender or actor.get_username(),
        reply_to="",
    )


def check_customer_article(article: ArticleInput) -> None:
    """A customer writes web articles, as the customer, visible to the customer."""
    if not (
        article.channel == Channel.WEB
        and article.sender_type == SenderType.CUSTOMER
        and article.is_visible_for_customer
    ):
        _refuse(
            _("Customers can only add their own messages, visible to them."),
            ErrorCode.CUSTOMER_ARTICLE,
        )


def follow_up_refused(ticket: Ticket) -> bool:
    """Whether the customer web refuses a follow-up to ``ticket`` (spec 3.4)."""
    return (
        ticket.state.state_type in CLOSED_STATE_TYPES
        and ticket.queue.follow_up != FollowUpOption.POSSIBLE
    )


def check_customer_follow_up(ticket: Ticket) -> None:
    if follow_up_refused(ticket):
        _refuse(
            _(
                "Ticket %(number)s is closed and takes no further messages; please open a "
                "new ticket."
            )
            % {"number": ticket.number},
            ErrorCode.FOLLOW_UP_REFUSED,
        )


def check_customer_close(actor: User, ticket: Ticket, state: State) -> None:
    """May ``actor`` (a customer) set ``ticket`` to ``state``? Only to close it, only while
    the setting allows it, only on a ticket of theirs."""
    if not (
        state.state_type == StateType.CLOSED
        and settings.CUSTOMER_CAN_CLOSE
        and access.can(actor, ticket, PermissionKey.RO)
    ):
        _refuse(
            _("You cannot change the state of ticket %(number)s.") % {"number": ticket.number},
            ErrorCode.PERMISSION_DENIED,
        )


def check_customer_ticket(
    actor: User,
    *,
    article: ArticleInput | None,
    customer_user: str,
    customer_id: str,
    ticket_type: TicketType | None,
    service: Service | None,
    sla: SLA | None,
    state: State | None,
    owner: User | None,
    responsible: User | None,
    lock: str,
    pending_until: datetime | None,
    created_at: datetime | None,
) -> None:
    """A new ticket from a customer (the queue is checked by ``_require_queue``)."""
    profile = access.customer_profile(actor)
    if profile is None:
        _refuse(_("Your customer account cannot open tickets."), ErrorCode.PERMISSION_DENIED)
    if article is None:
        _refuse(_("A new ticket needs a message."), ErrorCode.CUSTOMER_ARTICLE)
    check_customer_article(article)
    own_ids = {access.customer_id_for_new_ticket(actor), *access.customer_ids(actor)}
    if customer_user != profile.login or customer_id not in own_ids:
        _refuse(_("Customers can only open tickets for themselves."), ErrorCode.CUSTOMER_NOT_SELF)
    types = access.customer_ticket_types(actor)
    if ticket_type is not None and not types.filter(pk=ticket_type.pk).exists():
        _refuse(_("This ticket type is not offered to customers."), ErrorCode.INVALID_TYPE)
    services = access.customer_services(actor)
    if service is not None and not services.filter(pk=service.pk).exists():
        _refuse(_("This service is not offered to customers."), ErrorCode.INVALID_SERVICE)
    chosen = (sla, state, owner, responsible, pending_until, created_at)
    if any(value is not None for value in chosen) or lock != LockState.UNLOCK:
        _refuse(_("Customers cannot set these ticket fields."), ErrorCode.CUSTOMER_FIELDS)
