"""The events a whole change makes, for notifications: an agent's answer the customer did not
get by mail, a closed ticket, a reopened ticket.

A ticket event says what one action did; whether the customer should hear of it depends on
the whole change (one committed transaction, one batch of events). These rules were the
customer notification code until the notifications became records; they now only name the
events, and the records (:class:`~tickets.models.TicketNotification`, recipient "the
ticket's customer") decide who hears of them and with which text.

**VisibleAnswer**: an *agent* adds an article that is *visible to the customer*, whose channel
is *not email* (a visible note, a phone call the agent records as the caller, an answer typed
for the web) and that is *not the ticket's first article* (opening a ticket is no answer). An
agent's email reaches the customer by itself, so it is no such answer.

**TicketClosed** / **TicketReopened** (from TicketStateUpdate, changed by an agent or by the
system): *closed* from a state that is neither closed nor merged to a state of type
``closed``; *reopened* from a state of type ``closed`` to one of type ``open`` or ``new``.
Pending, removed and merged states, and leaving the merged state (unmerging), are neither.

**One change, one event.** When the same change both writes such an answer and closes or
reopens the ticket (the close screen with a visible note, a bulk action), there is one
TicketClosed (or TicketReopened) event that carries the answer as its article. When the
change sends the ticket's customer an email and closes or reopens the ticket (a reply with
"next state: closed"), that email is the news and there is no event.

Never: for internal articles, for articles of customers or of the system (a customer
notification is an Email article of the system, so a notification never notifies); for
changes made by a customer, including a state change the system makes because of the
customer's own mail (a follow-up that reopens a closed ticket); for merged tickets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from django.utils.translation import gettext_lazy

from otrs import events
from otrs.accounts.models import User, UserKind

from .choices import Channel, HistoryType, SenderType, StateType
from .events import TicketEvent
from .models import Article, State, Ticket
from .notification_customers import customer_recipient

VISIBLE_ANSWER = "VisibleAnswer"
TICKET_CLOSED = "TicketClosed"
TICKET_REOPENED = "TicketReopened"
NAMES = (VISIBLE_ANSWER, TICKET_CLOSED, TICKET_REOPENED)

# The ticket events the rules read.
SOURCES = frozenset({TicketEvent.ARTICLE_CREATE, TicketEvent.TICKET_STATE_UPDATE})

# Articles with these history types are never an agent's (customers' mail, phone calls and
# web requests, automatic mail): dropped without a query, which keeps the mail intake cheap.
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


def choices() -> list[tuple[str, Any]]:
    """These events for the admin's event list."""
    return [
        (
            VISIBLE_ANSWER,
            gettext_lazy("VisibleAnswer (an agent's answer the customer sees, not sent by mail)"),
        ),
        (TICKET_CLOSED, gettext_lazy("TicketClosed (closed by an agent or the system)")),
        (TICKET_REOPENED, gettext_lazy("TicketReopened (reopened by an agent or the system)")),
    ]


@dataclass(frozen=True)
class ChangeEvent:
    """One event of a whole change: its name, ticket, who made it, the article it carries
    (None: none), and a name unique within the batch (for the delivery key)."""

    name: str
    ticket_id: int
    actor_id: int
    article_id: int | None
    key: str


@dataclass
class _Change:
    ticket_id: int
    # (article id, actor id, history type) of each new article, in order.
    articles: list[tuple[int, int, str | None]] = field(default_factory=list)
    # (old state id, new state id, actor id) of each state change, in order.
    states: list[tuple[Any, Any, int]] = field(default_factory=list)


def change_events(batch_events: Sequence[events.Event]) -> list[ChangeEvent]:
    """The events of one committed change (see the module docstring), ticket by ticket."""
    changes: dict[int, _Change] = {}
    for event in batch_events:
        if event.name not in SOURCES or event.object_id is None or event.actor_id is None:
            continue
        change = changes.setdefault(event.object_id, _Change(event.object_id))
        if event.name == TicketEvent.ARTICLE_CREATE and event.payload.get("article_id"):
            change.articles.append(
                (event.payload["article_id"], event.actor_id, event.payload.get("history_type"))
            )
        elif event.name == TicketEvent.TICKET_STATE_UPDATE:
            change.states.append(
                (event.payload.get("old"), event.payload.get("new"), event.actor_id)
            )
    found: list[ChangeEvent] = []
    for change in changes.values():
        found += _events_of(change)
    return found


def _events_of(change: _Change) -> list[ChangeEvent]:
    news, news_actor = _news(change.states)
    answers = [a for a in change.articles if a[2] not in _NEVER_AN_AGENTS]
    if news is None and not answers:
        return []  # the usual case in mail intake: no query at all
    ticket = Ticket.objects.select_related("state").filter(pk=change.ticket_id).first()
    if ticket is None or ticket.merged_into_id is not None:
        return []
    if ticket.state.state_type == StateType.MERGED:
        return []
    actors = {u.pk: u for u in User.objects.filter(pk__in={a[1] for a in change.articles})}
    by_pk = Article.objects.in_bulk([a[0] for a in change.articles])
    articles = [
        (by_pk[pk], actors.get(actor_id))
        for pk, actor_id, _type in change.articles
        if pk in by_pk and by_pk[pk].ticket_id == change.ticket_id
    ]
    agents = [
        (a, actor) for a, actor in articles if actor is not None and _agents_visible(a, actor)
    ]
    if news is not None:
        if any(a.sender_type == SenderType.CUSTOMER for a, _actor in articles):
            return []  # the customer's own message made the change
        address = _customer_address(ticket)
        mails = [a for a, _actor in agents if a.channel == Channel.EMAIL]
        if address and any(_mails(a, address) for a in mails):
            return []  # the customer gets that mail: it is the news
        texts = [a for a, _actor in agents if a.channel != Channel.EMAIL]
        article = texts[-1] if texts else None
        assert news_actor is not None
        return [ChangeEvent(news, ticket.pk, news_actor, article.pk if article else None, news)]
    candidates = [(a, actor) for a, actor in agents if a.channel != Channel.EMAIL]
    firsts = _firsts(ticket.pk, [a.pk for a, _actor in candidates])
    return [
        ChangeEvent(VISIBLE_ANSWER, ticket.pk, actor.pk, a.pk, f"{VISIBLE_ANSWER}:{a.pk}")
        for a, actor in candidates
        if a.pk not in firsts  # opening a ticket is no answer
    ]


def _news(states: list[tuple[Any, Any, int]]) -> tuple[str | None, int | None]:
    """TICKET_CLOSED or TICKET_REOPENED for the change's state changes not made by a
    customer (the last one that says something) and who made it, or (None, None)."""
    news: tuple[str | None, int | None] = (None, None)
    if not states:
        return news
    customers = set(
        User.objects.filter(pk__in={s[2] for s in states}, kind=UserKind.CUSTOMER).values_list(
            "pk", flat=True
        )
    )
    for old, new, actor_id in states:
        if actor_id in customers:
            continue
        name = _state_news(old, new)
        if name is not None:
            news = (name, actor_id)
    return news


def _agents_visible(article: Article, actor: User) -> bool:
    """An article an agent wrote for the customer to see."""
    return (
        actor.is_agent
        and article.sender_type == SenderType.AGENT
        and article.is_visible_for_customer
    )


def _firsts(ticket_id: int, article_ids: list[int]) -> set[int]:
    """Which of ``article_ids`` is the ticket's first article (at most one)."""
    if not article_ids:
        return set()
    first = (
        Article.objects.filter(ticket_id=ticket_id).order_by("pk").values_list("pk", flat=True)[:1]
    )
    return {pk for pk in first if pk in article_ids}


def _state_news(old: Any, new: Any) -> str | None:
    """TICKET_CLOSED, TICKET_REOPENED or None for a change from state ``old`` to ``new``."""
    try:
        ids = {int(old), int(new)}
    except (TypeError, ValueError):
        return None
    types = dict(State.objects.filter(pk__in=ids).values_list("pk", "state_type"))
    before, after = types.get(int(old)), types.get(int(new))
    if before is None or after is None:
        return None
    if after == StateType.CLOSED and before not in (StateType.CLOSED, StateType.MERGED):
        return TICKET_CLOSED
    if before == StateType.CLOSED and after in _REOPENED_TO:
        return TICKET_REOPENED
    return None


def _customer_address(ticket: Ticket) -> str:
    found = customer_recipient(ticket)
    return found.address if found is not None else ""


def _mails(article: Article, address: str) -> bool:
    """Whether the email ``article`` went to ``address`` (To or Cc)."""
    wanted = address.strip().lower()
    pairs = getaddresses([article.to_address or "", article.cc_address or ""])
    return any(addr.strip().lower() == wanted for _name, addr in pairs)
