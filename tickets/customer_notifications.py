"""Customer notifications: a mail to the ticket's customer when an agent answers in a way
that does not reach them by mail, and when their ticket is closed or reopened.

OTRS ships no customer notification (spec section 11), so what follows is our product
decision. It runs in :func:`on_ticket_event`, a receiver of
:data:`tickets.events.ticket_event` (sent after the change committed).

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

**One change, one mail.** When the same change (one transaction of one actor) both writes
such an article and closes or reopens the ticket (the close screen with a visible note, a
bulk action), the customer gets one mail: "closed" (or "reopened") with the article's text.
When the change sends the customer an email and closes or reopens the ticket (a reply with
"next state: closed"), that email is the news and no notification follows. The article and
the state change belong to one change when one's history row is followed, with no other
article or state change between them, by the other's, written by the same actor: at the
time the receiver runs, just after that transaction's commit, a ticket's later history rows
are that transaction's own (every action holds the ticket's row lock while it writes them).
The receiver that sees the pair first sends the mail and tells the second (in this thread)
to stay quiet.

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

The receiver works in a transaction of its own; a failure is logged and never disturbs the
change (already committed) or the other receivers. Why a receiver and not a Celery task:
see :mod:`tickets.notifications`, the same reasoning holds.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import getaddresses

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from otrs.accounts.models import User, UserKind, system_user
from otrs.errors import DomainError
from otrs.mail import loop
from otrs.mail.models import OutboundKind
from otrs.mail.outbound import LOOP_HEADERS, format_address

from .choices import Channel, HistoryType, SenderType, StateType, TicketFlagKey
from .mailtexts import article_text
from .models import Article, State, Ticket, TicketFlag, TicketHistory

logger = logging.getLogger(__name__)

EVENTS = frozenset({"ArticleCreate", "TicketStateUpdate"})

# What a notification announces.
ANSWER = "answer"
CLOSED = "closed"
REOPENED = "reopened"

# Articles with these history types are never an agent's (customers' mail, phone calls and
# web requests, automatic mail): the receiver drops them without a query, which keeps the
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
# How many history rows after an event's own row are searched for its partner (the rows
# between an article and a state change of one change: lock, unlock, owner, priority ...).
_CHANGE_WINDOW = 20


# --- muting (bulk loads) -----------------------------------------------------------------------

_muted: ContextVar[bool] = ContextVar("customer_notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """No customer notifications for changes committed inside this block (demo data,
    imports). The commit must happen inside the block."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


# --- "one change, one mail": the partner event already handled --------------------------------


class _Handled(threading.local):
    """Keys of events whose news went out with (or was made unnecessary by) an earlier event
    of the same change. Both events run one after the other in the thread that committed,
    so a small per-thread memory is enough; it forgets its oldest keys past a few hundred
    (a key is only left over if the second event never came)."""

    LIMIT = 256

    def __init__(self) -> None:
        self.keys: OrderedDict[tuple[str, int], None] = OrderedDict()

    def add(self, key: tuple[str, int]) -> None:
        self.keys[key] = None
        while len(self.keys) > self.LIMIT:
            self.keys.popitem(last=False)

    def take(self, key: tuple[str, int]) -> bool:
        """Whether ``key`` was handled already (and forget it: it comes only once)."""
        if key not in self.keys:
            return False
        del self.keys[key]
        return True


_handled = _Handled()


# --- the receiver ------------------------------------------------------------------------------


def on_ticket_event(sender, *, event: str, ticket_id: int, actor_id: int, **kwargs) -> None:
    """Connected in :meth:`tickets.apps.TicketsConfig.ready`."""
    if event not in EVENTS or _muted.get():
        return
    data = kwargs.get("data") or {}
    if event == "ArticleCreate" and data.get("history_type") in _NEVER_AN_AGENTS:
        return
    try:
        notify(
            event,
            ticket_id=ticket_id,
            actor_id=actor_id,
            article_id=kwargs.get("article_id"),
            data=data,
        )
    except Exception:
        # The change is committed already; a broken notification must not stop the other
        # receivers of the event (ticket_event is sent with Signal.send).
        logger.exception("Customer notification for %s on ticket %s failed", event, ticket_id)


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    language: str
    # A customer user (only they can sign in to the portal, so only their mail links to it).
    has_login: bool


@dataclass(frozen=True)
class _Row:
    """A history row of the change, as the partner search reads it."""

    pk: int
    history_type: str
    actor_id: int
    article_id: int | None
    old_value: str
    new_value: str


def notify(
    event: str,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
) -> Article | None:
    """Send the customer notification ``event`` calls for, if any (see the module
    docstring); the notification's article, or None."""
    data = data or {}
    actor = User.objects.filter(pk=actor_id).first()
    if actor is None or actor.is_customer:
        return None
    if event == "ArticleCreate" and article_id is not None:
        return _on_article(ticket_id, article_id, actor)
    if event == "TicketStateUpdate":
        return _on_state(ticket_id, data, actor)
    return None


def _on_article(ticket_id: int, article_id: int, actor: User) -> Article | None:
    if _handled.take(("article", article_id)):
        return None
    article = Article.objects.filter(pk=article_id, ticket_id=ticket_id).first()
    if article is None or not _agents_visible(article, actor):
        return None
    is_email = article.channel == Channel.EMAIL
    if not is_email and _is_first(article):
        return None
    ticket, recipient = _ticket_and_recipient(ticket_id)
    if recipient is None:
        return None
    row = _row_of_article(article)
    partner = _partner(ticket_id, row, actor) if row is not None else None
    news = None
    if partner is not None and partner.history_type == HistoryType.STATE_UPDATE:
        news = _state_news(partner.old_value, partner.new_value)
    if is_email:
        # The mail itself is the news; it also tells of a close or reopen in the same change.
        if news is not None and _mails(article, recipient.address):
            _handled.add(("state", partner.pk))
        return None
    if news is not None:
        _handled.add(("state", partner.pk))
    return _send(ticket, recipient, news or ANSWER, article=article)


def _on_state(ticket_id: int, data: dict, actor: User) -> Article | None:
    old, new = data.get("old"), data.get("new")
    news = _state_news(old, new)
    if news is None:
        return None
    row = (
        TicketHistory.objects.filter(
            ticket_id=ticket_id,
            history_type=HistoryType.STATE_UPDATE,
            actor_id=actor.pk,
            old_value=str(old),
            new_value=str(new),
        )
        .order_by("-pk")
        .values_list("pk", "history_type", "actor_id", "article_id", "old_value", "new_value")
        .first()
    )
    row = _Row(*row) if row is not None else None
    if row is not None and _handled.take(("state", row.pk)):
        return None
    ticket, recipient = _ticket_and_recipient(ticket_id)
    if recipient is None:
        return None
    partner = _partner(ticket_id, row, actor) if row is not None else None
    article = None
    if partner is not None and partner.article_id is not None:
        candidate = Article.objects.filter(pk=partner.article_id).first()
        if candidate is not None:
            if candidate.sender_type == SenderType.CUSTOMER:
                return None  # the customer's own message made the change
            if _agents_visible(candidate, actor):
                if candidate.channel == Channel.EMAIL:
                    if _mails(candidate, recipient.address):
                        return None  # the customer gets that mail
                else:
                    article = candidate
                    _handled.add(("article", candidate.pk))
    return _send(ticket, recipient, news, article=article)


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


def _state_news(old: object, new: object) -> str | None:
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


def _row_of_article(article: Article) -> _Row | None:
    found = (
        TicketHistory.objects.filter(ticket_id=article.ticket_id, article_id=article.pk)
        .order_by("pk")
        .values_list("pk", "history_type", "actor_id", "article_id", "old_value", "new_value")
        .first()
    )
    return _Row(*found) if found is not None else None


def _partner(ticket_id: int, row: _Row, actor: User) -> _Row | None:
    """The other half of the change ``row`` belongs to: the first article or state change
    written after ``row``, if the same actor wrote it (else None)."""
    later = (
        TicketHistory.objects.filter(ticket_id=ticket_id, pk__gt=row.pk)
        .order_by("pk")
        .values_list("pk", "history_type", "actor_id", "article_id", "old_value", "new_value")
    )
    for found in later[:_CHANGE_WINDOW]:
        candidate = _Row(*found)
        if candidate.article_id is None and candidate.history_type != HistoryType.STATE_UPDATE:
            continue  # lock, unlock, owner ...: part of the change, not news
        return candidate if candidate.actor_id == actor.pk else None
    return None


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
    from customers.models import CustomerUser

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


def portal_url(ticket: Ticket) -> str:
    """The ticket's page in the customer portal."""
    try:
        path = reverse("customer:ticket", args=[ticket.pk])
    except NoReverseMatch:
        path = f"/customer/tickets/{ticket.pk}/"
    return settings.SITE_URL + path


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
            "url": portal_url(ticket) if to.has_login else "",
        },
    )
    return " ".join(f"[{number}] {subject}".split()), body


def _author(article: Article | None) -> str:
    """The agent's name as customers may see it; never a login (the portal shows none)."""
    if article is None:
        return ""
    return article.created_by.get_full_name()


def _send(
    ticket: Ticket, to: Recipient, news: str, *, article: Article | None = None
) -> Article | None:
    """Queue the notification as an Email article of the system; None if the address has had
    its automatic mails for today."""
    from .actions import ArticleInput, mark_seen
    from .actions._base import _history
    from .actions.email import send_email

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
            _history(ticket, HistoryType.LOOP_PROTECTION, actor, new=to.address.lower())
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
        )
        # Who had read the ticket has read the notification too: it only repeats news.
        for reader in readers:
            # One who may no longer read the ticket loses the flag, as they should.
            with suppress(DomainError):
                mark_seen(ticket, user=reader)
    return sent
