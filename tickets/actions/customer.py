"""What a customer does in the customer portal: open a ticket, answer on one, close one.

Each is one transaction over the generic actions, with the customer as the actor (their rules
are in ``_customer``), followed by what OTRS does for the web (spec 3.4, 4): the auto reply
to a new ticket, the auto follow-up to an answer, which reopens a ticket that is not new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.errors import DomainError, ErrorCode

from .. import access
from ..choices import AutoResponseType, HistoryType, LockState, StateType
from ..models import Article, Queue, Service, State, Ticket, TicketType
from ._base import ArticleInput, _locked, _refresh, _state_of_type
from ._customer import CLOSED_STATE_TYPES, as_customer_message, follow_up_refused
from .articles import add_article, create_ticket
from .fields import _set_state, lock_ticket, set_state

__all__ = ["add_web_follow_up", "close_by_customer", "create_web_ticket", "follow_up_refused"]

# The state an answer moves a ticket to (OTRS CustomerTicketZoom StateDefault).
FOLLOW_UP_STATE = "open"
# The state a customer's "close" sets.
CLOSE_STATE = "closed successful"


def create_web_ticket(
    *,
    title: str,
    queue: Queue,
    article: ArticleInput,
    actor: User,
    ticket_type: TicketType | None = None,
    service: Service | None = None,
    field_values: Mapping[str, Any] | None = None,
) -> Ticket:
    """A customer's new ticket (history WebRequestCustomer) for themselves: customer user
    their login, customer id their company's (their login without one); then the queue's
    auto reply."""
    # Imported here: the auto response is itself sent through the actions (autoresponses
    # imports them), so this call goes against the grain; it becomes an event handler with the
    # durable events (issue 9, item 1).
    from ..autoresponses import send_auto_response

    profile = access.customer_profile(actor)
    if profile is None:
        raise DomainError(
            _("Your customer account cannot open tickets."), code=ErrorCode.PERMISSION_DENIED
        )
    with transaction.atomic():
        ticket = create_ticket(
            title=title,
            queue=queue,
            actor=actor,
            article=as_customer_message(actor, article),
            ticket_type=ticket_type,
            service=service,
            customer_user=profile.login,
            customer_id=access.customer_id_for_new_ticket(actor),
            history_type=HistoryType.WEB_REQUEST_CUSTOMER,
            field_values=field_values,
        )
        first = Article.objects.filter(ticket=ticket).order_by("id").first()
        assert first is not None  # create_ticket always writes the ticket's first article
        send_auto_response(
            ticket=ticket, article=first, response_type=AutoResponseType.AUTO_REPLY, loop=False
        )
    return ticket


def add_web_follow_up(ticket: Ticket, article: ArticleInput, *, actor: User) -> Article:
    """A customer's answer on their ticket (history FollowUp).

    A ticket that is not new becomes "open" (a closed one only where its queue takes
    follow-ups; elsewhere the answer is refused); a reopened ticket is locked to its owner
    again when the queue says so. Then the queue's auto follow-up.
    """
    # Imported here: the auto response is itself sent through the actions (autoresponses
    # imports them), so this call goes against the grain; it becomes an event handler with the
    # durable events (issue 9, item 1).
    from ..autoresponses import send_auto_response

    with transaction.atomic():
        locked = _locked(ticket)
        was_closed = locked.state.state_type in CLOSED_STATE_TYPES
        created = add_article(
            locked,
            as_customer_message(actor, article),
            actor=actor,
            history_type=HistoryType.FOLLOW_UP,
        )
        if locked.state.state_type != StateType.NEW:
            state = State.objects.valid().filter(name=FOLLOW_UP_STATE).first()
            _set_state(locked, state or _state_of_type(StateType.OPEN), actor)
        owner = locked.owner
        if (
            was_closed
            and locked.queue.follow_up_lock
            and locked.lock == LockState.UNLOCK
            and owner.is_active
            and owner.is_agent
        ):
            lock_ticket(locked, actor=system_user(), keep_owner=True)
        send_auto_response(
            ticket=locked,
            article=created,
            response_type=AutoResponseType.AUTO_FOLLOW_UP,
            loop=False,
        )
    _refresh(ticket, locked)
    return created


def customer_close_state() -> State:
    """The state a customer's close sets ("closed successful", else a closed state)."""
    state = State.objects.valid().filter(name=CLOSE_STATE).first()
    return state or _state_of_type(StateType.CLOSED)


def close_by_customer(ticket: Ticket, *, actor: User) -> Ticket:
    """A customer closes their ticket ("closed successful"; needs ``CUSTOMER_CAN_CLOSE``)."""
    return set_state(ticket, customer_close_state(), actor=actor)
