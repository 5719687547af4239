"""Customer notifications: a mail to the ticket's customer when an agent answers in a way
that does not reach them by mail, and when their ticket is closed or reopened.

OTRS ships no customer notification (spec section 11), so what follows is our product
decision. It runs in :func:`handle`, the event handler ``tickets.customer_notifications``
(see :mod:`tickets.receivers`), which gets each committed change's events as one batch.

When the customer gets a mail
-----------------------------

**An answer** (event ArticleCreate): an *agent* adds an article that is *visible to the
customer*, whose channel is *not email* (a visible note, a phone call the agent records as
the caller, an answer typed for the web) and that is *not the ticket's first article*
(opening a ticket is no answer). The mail carries the article's text. An agent's email
reaches the customer by itself, so it is never announced again.

**Closed or reopened** (event TicketStateUpdate), changed by an agent or by the system:

- *closed*: from a state that is neither closed nor merged to a state of type ``closed``;
- *reopened*: from a state of type ``closed`` to one of type ``open`` or ``new``.

Pending, removed and merged states, and leaving the merged state (unmerging), say nothing.

**One change, one mail.** A change is one batch of events (one committed transaction).
When the same change both writes such an article and closes or reopens the ticket (the close
screen with a visible note, a bulk action), the customer gets one mail: "closed" (or
"reopened") with the article's text. When the change sends the customer an email and closes
or reopens the ticket (a reply with "next state: closed"), that email is the news and no
notification follows.

Never:

- for internal articles, or for articles of customers or of the system (this covers our own
  notification articles: sender system, channel email, so a notification never notifies);
- for changes made by a customer, including a state change the system makes because of the
  customer's own mail (a follow-up that reopens a closed ticket: the postmaster sets the
  state, then files the customer's article, in the same change);
- for merged tickets;
- when the ticket has no customer to write to: the ticket's customer login names a customer
  user who is valid, active and has an address, else the login is itself an email address
  (an unknown mail sender, as the postmaster records them). An invalid customer user gets
  nothing; addresses that never get automatic mail (``MAILER-DAEMON@``, our own system
  addresses) neither;
- beyond ``POSTMASTER_MAX_AUTO_MAILS`` automatic mails per address and day
  (:func:`otrs.mail.loop.claim_auto`, shared with the auto responses); a refused mail leaves a
  LoopProtection history row;
- while :func:`muted` (demo data, imports).

How it is sent
--------------

As OTRS does: an Email article of the system, visible to the customer, sent with
:func:`tickets.actions.email.send_email` (kind ``customer_notification``, history
SendCustomerNotification, the loop headers of automatic mail) from the queue's system
address, so it sits in the persistent outgoing queue and on the ticket like any mail. Subject
and body are in the customer's language (their login's language, else ``LANGUAGE_CODE``),
the subject starts with ``[Ticket#<number>]`` so that an answer by mail follows up on the
ticket, and a customer with a portal login gets the link to the ticket in the customer
portal. Agents who had read the ticket keep it marked as read: the notification repeats
what they saw.

The handler runs in a Celery worker after the commit; a failure leaves its delivery to be
tried again (and then failed, in the admin), never the change. A redelivered batch mails
nobody twice: each notification is queued under a key made of the delivery key, the ticket
and what it announces, and one whose mail is queued already is skipped whole.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from customers.models import CustomerUser
from otrs import events
from otrs.accounts.models import User, UserKind, system_user
from otrs.errors import DomainError
from otrs.mail import loop
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import LOOP_HEADERS, format_address
from otrs.web.links import absolute_url

from .actions import ArticleInput, mark_seen, record_history, send_email
from .choices import Channel, HistoryType, SenderType, StateType, TicketFlagKey
from .events import TicketEvent
from .mailtexts import article_text
from .models import Article, State, Ticket, TicketFlag

logger = logging.getLogger(__name__)

# The event handler's name (stored on its deliveries) and what it subscribes to.
HANDLER = "tickets.customer_notifications"
EVENTS = frozenset({TicketEvent.ARTICLE_CREATE, TicketEvent.TICKET_STATE_UPDATE})

# What a notification announces.
ANSWER = "answer"
CLOSED = "closed"
REOPENED = "reopened"

# Articles with these history types are never an agent's (customers' mail, phone calls and
# web requests, automatic mail): the handler drops them without a query, which keeps the
# mail intake cheap.
_NEVER_AN_AGENTS = frozenset(
    {
        HistoryType.FOLLOW_UP,
        HistoryType.EMAIL_CUSTOMER,
        HistoryType.PHONE_CALL_CUSTOMER,
        HistoryType.WEB_REQUEST_CUSTOMER,
        HistoryType.SEND_AUTO_REPLY,
        HistoryType.SEND_AUTO_REJECT,
        HistoryType.SEND_AUTO_FOLLOW_UP,
        HistoryType.SEND_CUSTOMER_NOTIFICATION,
        HistoryType.SEND_AGENT_NOTIFICATION,
        HistoryType.BOUNCE,
    }
)
_REOPENED_TO = (StateType.OPEN, StateType.NEW)


# --- muting (bulk loads) -----------------------------------------------------------------------


def muted() -> AbstractContextManager[None]:
    """No customer notifications for changes committed inside this block (demo data,
    imports). The commit must happen inside the block."""
    return events.muting(HANDLER)


# --- the handler -------------------------------------------------------------------------------


@dataclass
class Change:
    """What one committed change did to one ticket, as far as customers care."""

    ticket_id: int
    # (article id, actor id, history type) of each new article, in order.
    articles: list[tuple[int, int, str | None]] = field(default_factory=list)
    # (old state id, new state id, actor id) of each state change, in order.
    states: list[tuple[Any, Any, int]] = field(default_factory=list)


def handle(batch: events.Batch) -> None:
    """The event handler: at most one notification per ticket the change touched (one per
    answer when it changed no state). An exception leaves the delivery to be tried again."""
    changes: dict[int, Change] = {}
    for event in batch.events:
        # Ticket events are recorded with the ticket's id and the actor's (tickets.events).
        assert event.object_id is not None and event.actor_id is not None
        change = changes.setdefault(event.object_id, Change(event.object_id))
        if event.name == TicketEvent.ARTICLE_CREATE and event.payload.get("article_id"):
            change.articles.append(
                (event.payload["article_id"], event.actor_id, event.payload.get("history_type"))
            )
        elif event.name == TicketEvent.TICKET_STATE_UPDATE:
            change.states.append(
                (event.payload.get("old"), event.payload.get("new"), event.actor_id)
            )
    for change in changes.values():
        notify(change, key=f"{batch.key}:{change.ticket_id}")


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    language: str
    # A customer user (only they can sign in to the portal, so only their mail links to it).
    has_login: bool


def notify(change: Change, *, key: str | None = None) -> list[Article]:
    """Send the customer notifications ``change`` calls for (see the module docstring); the
    notifications' articles. ``key`` names them, so that a change seen again sends none of
    them twice."""
    news = _news(change.states)
    answers = [a for a in change.articles if a[2] not in _NEVER_AN_AGENTS]
    if news is None and not answers:
        return []  # the usual case in mail intake: no query at all
    ticket, recipient = _ticket_and_recipient(change.ticket_id)
    if ticket is None or recipient is None:  # no ticket: no recipient either
        return []
    actors = {u.pk: u for u in User.objects.filter(pk__in={a[1] for a in change.articles})}
    by_pk = Article.objects.select_related("created_by").in_bulk([a[0] for a in change.articles])
    articles = [
        (by_pk[pk], actors.get(actor_id))
        for pk, actor_id, _type in change.articles
        if pk in by_pk and by_pk[pk].ticket_id == change.ticket_id
    ]
    agents = [a for a, actor in articles if actor is not None and _agents_visible(a, actor)]
    if news is not None:
        if any(a.sender_type == SenderType.CUSTOMER for a, _actor in articles):
            return []  # the customer's own message made the change
        mails = [a for a in agents if a.channel == Channel.EMAIL]
        if any(_mails(a, recipient.address) for a in mails):
            return []  # the customer gets that mail: it is the news
        texts = [a for a in agents if a.channel != Channel.EMAIL]
        sent = _send(ticket, recipient, news, article=texts[-1] if texts else None, key=key)
        return [sent] if sent is not None else []
    answers_sent: list[Article] = []
    for article in agents:
        # An agent's mail reaches the customer by itself; opening a ticket is no answer.
        if article.channel == Channel.EMAIL or _is_first(article):
            continue
        answer_key = f"{key}:{article.pk}" if key else None
        mail = _send(ticket, recipient, ANSWER, article=article, key=answer_key)
        if mail is not None:
            answers_sent.append(mail)
    return answers_sent


def _news(states: list[tuple[Any, Any, int]]) -> str | None:
    """CLOSED or REOPENED for the change's state changes not made by a customer (the last
    one that says something), or None."""
    news = None
    customers = set(
        User.objects.filter(pk__in={s[2] for s in states}, kind=UserKind.CUSTOMER).values_list(
            "pk", flat=True
        )
        if states
        else ()
    )
    for old, new, actor_id in states:
        if actor_id in customers:
            continue
        news = _state_news(old, new) or news
    return news


# --- the rules ---------------------------------------------------------------------------------


def _agents_visible(article: Article, actor: User) -> bool:
    """An article an agent wrote for the customer to see."""
    return (
        actor.is_agent
        and article.sender_type == SenderType.AGENT
        and article.is_visible_for_customer
    )


def _is_first(article: Article) -> bool:
    return not Article.objects.filter(ticket_id=article.ticket_id, pk__lt=article.pk).exists()


def _state_news(old: Any, new: Any) -> str | None:
    """CLOSED, REOPENED or None for a change from state ``old`` to ``new`` (ids)."""
    try:
        ids = {int(old), int(new)}
    except (TypeError, ValueError):
        return None
    types = dict(State.objects.filter(pk__in=ids).values_list("pk", "state_type"))
    before, after = types.get(int(old)), types.get(int(new))
    if before is None or after is None:
        return None
    if after == StateType.CLOSED and before not in (StateType.CLOSED, StateType.MERGED):
        return CLOSED
    if before == StateType.CLOSED and after in _REOPENED_TO:
        return REOPENED
    return None


def _mails(article: Article, address: str) -> bool:
    """Whether the email ``article`` went to ``address`` (To or Cc)."""
    wanted = address.strip().lower()
    pairs = getaddresses([article.to_address or "", article.cc_address or ""])
    return any(addr.strip().lower() == wanted for _name, addr in pairs)


def _ticket_and_recipient(ticket_id: int) -> tuple[Ticket | None, Recipient | None]:
    ticket = (
        Ticket.objects.select_related("queue__system_address", "state", "priority")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.merged_into_id is not None:
        return ticket, None
    if ticket.state.state_type == StateType.MERGED:
        return ticket, None
    return ticket, recipient(ticket)


def recipient(ticket: Ticket) -> Recipient | None:
    """Who the notifications of ``ticket`` go to: its customer user (valid, active, with an
    address), else its customer login when that is an email address; None if nobody."""
    login = (ticket.customer_user or "").strip()
    if not login:
        return None
    profile = CustomerUser.objects.for_login(login)
    if profile is not None:
        user = profile.user
        if not (profile.is_valid and user.is_active and profile.email):
            return None
        address = profile.email.strip()
        if not _may_mail(address):
            return None
        return Recipient(
            address=address,
            name=user.get_full_name(),
            language=user.language or settings.LANGUAGE_CODE,
            has_login=True,
        )
    if not loop.is_valid_address(login) or not _may_mail(login):
        return None
    return Recipient(address=login, name="", language=settings.LANGUAGE_CODE, has_login=False)


def _may_mail(address: str) -> bool:
    return loop.is_valid_address(address) and not loop.is_auto_suppressed_address(address)


# --- the mail ----------------------------------------------------------------------------------


def compose(
    ticket: Ticket, to: Recipient, news: str, *, article: Article | None = None
) -> tuple[str, str]:
    """Subject and body of the notification ``news`` (ANSWER, CLOSED, REOPENED), in the
    active language."""
    number = f"{settings.TICKET_HOOK}{ticket.number}"
    words = {"number": number, "title": ticket.title}
    if news == ANSWER:
        subject = _("New answer to your ticket: %(title)s") % words
        intro = _("There is a new answer to your ticket %(number)s.") % words
        template = "tickets/notifications/customer_answer.txt"
    else:
        if news == CLOSED:
            subject = _("Your ticket was closed: %(title)s") % words
            intro = _("Your ticket %(number)s was closed.") % words
        else:
            subject = _("Your ticket was reopened: %(title)s") % words
            intro = _("Your ticket %(number)s was reopened; we are working on it again.") % words
        template = "tickets/notifications/customer_state.txt"
    body = render_to_string(
        template,
        {
            "name": to.name,
            "intro": intro,
            "number": number,
            "ticket": ticket,
            "state": _(ticket.state.name),
            "article": article,
            "author": _author(article),
            "text": article_text(article).strip("\n") if article is not None else "",
            "attachments": article.attachments.count() if article is not None else 0,
            "url": absolute_url("customer:ticket", ticket.pk) if to.has_login else "",
        },
    )
    return " ".join(f"[{number}] {subject}".split()), body


def _author(article: Article | None) -> str:
    """The agent's name as customers may see it; never a login (the portal shows none)."""
    if article is None:
        return ""
    return article.created_by.get_full_name()


def _send(
    ticket: Ticket,
    to: Recipient,
    news: str,
    *,
    article: Article | None = None,
    key: str | None = None,
) -> Article | None:
    """Queue the notification as an Email article of the system; None if the address has had
    its automatic mails for today, or the notification named ``key`` is queued already."""
    if key and OutboundMessage.objects.filter(idempotency_key=key).exists():
        return None
    actor = system_user()
    with translation.override(to.language):
        subject, body = compose(ticket, to, news, article=article)
    with transaction.atomic():
        if not loop.claim_auto(to.address):
            logger.warning(
                "Ticket %s: no customer notification to %s, its limit of %d a day is reached",
                ticket.number,
                to.address,
                settings.POSTMASTER_MAX_AUTO_MAILS,
            )
            record_history(ticket, HistoryType.LOOP_PROTECTION, actor, new=to.address.lower())
            return None
        seen = TicketFlag.objects.filter(ticket=ticket, key=TicketFlagKey.SEEN)
        readers = list(User.objects.filter(pk__in=seen.values("user_id"), kind=UserKind.AGENT))
        sent = send_email(
            ticket,
            ArticleInput(
                channel=Channel.EMAIL,
                sender_type=SenderType.SYSTEM,
                is_visible_for_customer=True,
                to_address=format_address(to.address, to.name),
                subject=subject,
                body=body,
            ),
            actor=actor,
            history_type=HistoryType.SEND_CUSTOMER_NOTIFICATION,
            kind=OutboundKind.CUSTOMER_NOTIFICATION,
            extra_headers=dict(LOOP_HEADERS),
            idempotency_key=key,
        )
        # Who had read the ticket has read the notification too: it only repeats news.
        for reader in readers:
            # One who may no longer read the ticket loses the flag, as they should.
            with suppress(DomainError):
                mark_seen(ticket, user=reader)
    return sent
