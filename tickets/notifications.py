"""Ticket notifications (spec section 11): records that say on which events, for which
tickets, to whom (agents, the ticket's customer, given addresses) and with which text a mail
goes out; this module sends them.

The notifications are :class:`~tickets.models.TicketNotification` rows, edited in the admin
(:mod:`tickets.automation.notification_admin`). Migration ``tickets 0027`` installs the OTRS
defaults as they were sent before they became records: new ticket (my queues), follow-up on
an unlocked ticket (owner, watchers, my queues) and on a locked one (owner, responsible,
watchers), new note (owner, responsible, watchers), mention, owner and responsible update (the
agent the change names), queue update (my queues of the new queue), lock timeout (owner),
escalation and its warning (my queues, rw on the queue, responsible), and the pending reminder
of a locked and an unlocked ticket; English and German texts. Migration ``tickets 0030``
installs the customer notifications the code sent before they became records (an answer the
customer did not get by mail, a closed and a reopened ticket): the events of a whole change
that :mod:`tickets.notification_changes` names, to the recipient "the ticket's customer"
(:mod:`tickets.notification_customers`).

:func:`handle` is the event handler ``tickets.agent_notifications`` (see
:mod:`tickets.receivers`). For each event of a committed change it takes the active
notifications that list the event (an ArticleCreate also counts as ``FollowUp`` or
``AddNote`` by its history type), tests their ticket filter (the condition language of
:mod:`otrs.conditions`, as GenericAgent and ACLs) and article filter, and finds the
candidates by role. Dropped are the system user (silently), the actor, inactive users and
customers, agents without an address, agents who may not read the ticket (``ro``; for a note
or mention ``note`` is enough: the rules of :mod:`tickets.access` evaluated for all candidates
in one query), agents a note mentions (they get the mention), agents who switched the
notification off (when it lets them choose), and with "once per day" whoever had it today.
Given addresses get the mail whatever their access. The ticket's customer is dropped when
nobody can be written to, when they made the change themselves, and beyond the daily limit
of automatic mails to their address.

Each recipient gets one text in their language (the notification's text in it, else in
``LANGUAGE_CODE``, else any). A given address's is queued as system mail in the persistent
outgoing queue; an agent's goes by the notification's transports (OTRS's Email and Web): a
mail (to an agent with an address), a :class:`~tickets.models.WebNotification` shown in the
agent portal (the bell, :mod:`tickets.views.web_notifications`), or both. Either way the
ticket gets one SendAgentNotification history entry per recipient; no article is created.
The customer's is an Email article of the system (history SendCustomerNotification). Every
decision (sent, or skipped and why) is a :class:`~tickets.models.NotificationTrace` row,
shown in the admin.

The handler runs in a Celery worker after the commit, in a transaction that also marks its
delivery done (:mod:`otrs.events.delivery`): a failure rolls back what it queued and the
batch is tried again later. Each mail is queued under a key made of the delivery key, the
event, the notification and the recipient (the in-app notification under the same key); one
made already is skipped, so a redelivered batch tells nobody twice. :func:`plan` is the same
decision without writing anything: the admin's preview.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    prefetch_related_objects,
)
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from otrs import events
from otrs.accounts.models import User, UserKind, system_user
from otrs.conditions import matches
from otrs.events.models import delivery_key
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import format_address
from otrs.permissions import PermissionKey, agents_holding

from . import notification_changes, notification_customers
from .actions import record_history
from .automation.attributes import facts_for, ticket_schema
from .choices import HistoryType
from .deliveries import queue_system_mail
from .events import TicketEvent
from .mailtexts import article_text, render
from .models import (
    Article,
    Mention,
    NotificationOutcome,
    NotificationRecipient,
    NotificationSkip,
    NotificationTrace,
    NotificationTransport,
    PersonalQueue,
    Ticket,
    TicketNotification,
    TicketWatcher,
    WebNotification,
)
from .notification_changes import change_events
from .notification_customers import CustomerRecipient, customer_recipient

logger = logging.getLogger(__name__)

# How much of an article a notification shows.
EXCERPT_LINES = 15

# Article kinds a notification may listen to besides the ticket events (OTRS
# NotificationFollowUp / NotificationAddNote): an ArticleCreate of that history type.
FOLLOW_UP = "FollowUp"
ADD_NOTE = "AddNote"
_ARTICLE_KINDS: dict[str, str] = {HistoryType.FOLLOW_UP: FOLLOW_UP, HistoryType.ADD_NOTE: ADD_NOTE}
# Events for which the note permission is enough to be told.
_NOTE_EVENTS = frozenset({ADD_NOTE, TicketEvent.TICKET_MENTION})

# The event handler's name (stored on its deliveries) and what it subscribes to: every ticket
# event (the records decide).
HANDLER = "tickets.agent_notifications"
EVENTS = frozenset(TicketEvent)

# The names migration tickets 0027 gives the built-in notifications: shown translated (an
# admin's own names are shown as they are).
BUILT_IN_NAMES = (
    gettext_noop("A new ticket in one of my queues"),
    gettext_noop("A follow-up on an unlocked ticket (I own or watch it, or it is in my queues)"),
    gettext_noop("A follow-up on a locked ticket I own, am responsible for or watch"),
    gettext_noop("A new note on a ticket I own, am responsible for or watch"),
    gettext_noop("I was mentioned in a note (@login)"),
    gettext_noop("I became the owner of a ticket"),
    gettext_noop("I became responsible for a ticket"),
    gettext_noop("A ticket was moved into one of my queues"),
    gettext_noop("The lock of a ticket I own timed out"),
    gettext_noop("A ticket in my queues or that I am responsible for escalated"),
    gettext_noop("A ticket in my queues or that I am responsible for is about to escalate"),
    gettext_noop("The reminder time of a locked ticket I own or am responsible for passed"),
    gettext_noop("The reminder time of an unlocked ticket in my queues passed"),
    gettext_noop("The customer: an agent's answer they did not get by mail"),
    gettext_noop("The customer: their ticket was closed"),
    gettext_noop("The customer: their ticket was reopened"),
)


def event_choices() -> list[tuple[str, Any]]:
    """What a notification may listen to, for the admin form."""
    kinds = [
        (FOLLOW_UP, gettext_lazy("FollowUp (a customer's follow-up article)")),
        (ADD_NOTE, gettext_lazy("AddNote (an agent's note)")),
    ]
    return kinds + notification_changes.choices() + [(e.value, e.value) for e in TicketEvent]


def event_names(event: str, data: dict) -> set[str]:
    """The names ``event`` answers to: itself, and an article's kind."""
    names = {event}
    if event == TicketEvent.ARTICLE_CREATE:
        kind = _ARTICLE_KINDS.get(str(data.get("history_type")))
        if kind:
            names.add(kind)
    return names


def wants(user: User, notification: TicketNotification) -> bool:
    """The agent's preference for ``notification``; unset means its default."""
    if not notification.agent_may_choose:
        return True
    prefs = user.notification_preferences or {}
    return bool(prefs.get(notification.key, notification.enabled_by_default))


def label(notification: TicketNotification) -> str:
    """The notification's name in the active language (built-in names are translated)."""
    return _(notification.name)


def choosable() -> list[TicketNotification]:
    """The notifications agents may switch on and off, for the preferences page."""
    return list(TicketNotification.objects.filter(valid=True, agent_may_choose=True))


# --- muting (bulk loads) -----------------------------------------------------------------------


def muted() -> AbstractContextManager[None]:
    """No agent notifications for changes committed inside this block (demo data, imports:
    what they create is history, not news). The commit must happen inside the block."""
    return events.muting(HANDLER)


# --- the handler -------------------------------------------------------------------------------


# Before customer notifications became records (migration tickets 0030) they had a handler
# of their own. A change committed before the upgrade may still have a delivery waiting
# under that name: it is handed to the records, customer notifications only, with this
# handler's key, so that a mail the new handler queues for the same change is not queued
# twice. No new delivery is made under the old name (:func:`no_new_batch`).
RETIRED_CUSTOMER_HANDLER = "tickets.customer_notifications"


def no_new_batch(names: frozenset[str]) -> bool:
    """The retired handler's interest: none (it only finishes deliveries made before)."""
    return False


def handle_retired_customer_delivery(batch: events.Batch) -> None:
    """A waiting delivery of the retired customer notification handler."""
    key = delivery_key(batch.id, HANDLER)
    handle(replace(batch, key=key, handler=HANDLER), customers_only=True)


def handle(batch: events.Batch, *, customers_only: bool = False) -> None:
    """The event handler: the notifications of each event of the change, in order, then
    those of the events the whole change makes (:mod:`tickets.notification_changes`). An
    exception leaves the delivery to be tried again (nothing of this attempt stays).
    ``customers_only``: only the notifications with the ticket's customer among their
    recipients (see :func:`handle_retired_customer_delivery`)."""
    active = list(TicketNotification.objects.filter(valid=True))
    if customers_only:
        active = [n for n in active if NotificationRecipient.CUSTOMER in (n.recipients or ())]
    if not active:
        return
    listened = {name for n in active for name in n.events or ()}
    for event in batch.events:
        # Ticket events are recorded with the ticket's id and the actor's (tickets.events).
        assert event.object_id is not None and event.actor_id is not None
        notify(
            event.name,
            ticket_id=event.object_id,
            actor_id=event.actor_id,
            article_id=event.payload.get("article_id"),
            data=dict(event.payload),
            key=f"{batch.key}:{event.id}",
            active=active,
        )
    if not listened & set(notification_changes.NAMES):
        return
    for change in change_events(batch.events):
        notify(
            change.name,
            ticket_id=change.ticket_id,
            actor_id=change.actor_id,
            article_id=change.article_id,
            data={"article_id": change.article_id, "carries_article": True},
            key=f"{batch.key}:{change.ticket_id}:{change.key}",
            active=active,
        )


@dataclass
class Planned:
    """One decision: ``recipient`` (a login or an address) gets ``subject``/``body``, or is
    skipped for ``skip`` (a :class:`~tickets.models.NotificationSkip`)."""

    recipient: str
    user: User | None = None
    customer: CustomerRecipient | None = None
    skip: str = ""
    language: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class Context:
    """What the decisions of one event share: the ticket, the actor, the article (loaded on
    first use), the event's names and data."""

    ticket: Ticket
    names: set[str]
    actor_id: int | None
    actor: User | None
    data: dict
    article: Callable[[], Article | None]
    now: datetime


def _ticket(ticket_id: int) -> Ticket | None:
    return (
        Ticket.objects.select_related(
            "queue", "state", "priority", "owner", "responsible", "type", "service", "sla"
        )
        .filter(pk=ticket_id)
        .first()
    )


def context(
    ticket: Ticket, event: str, *, actor_id: int | None, article_id=None, data=None
) -> Context:
    data = data or {}

    @cache
    def article() -> Article | None:
        articles = Article.objects.filter(ticket=ticket).select_related("created_by")
        if article_id is not None:
            return articles.filter(pk=article_id).first()
        if data.get("carries_article"):
            return None  # an event of a whole change that carries no article
        return articles.order_by("created_at", "id").first()

    return Context(
        ticket=ticket,
        names=event_names(event, data),
        actor_id=actor_id,
        actor=User.objects.filter(pk=actor_id).first() if actor_id else None,
        data=data,
        article=article,
        now=timezone.now(),
    )


def notify(
    event: str,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
    key: str | None = None,
    active: list[TicketNotification] | None = None,
) -> list[User]:
    """Send the notifications ``event`` calls for; the agents mailed are returned. With
    ``key`` (the handler's delivery key and the event), recipients whose mail under that key
    is queued already are left out: a redelivered batch mails nobody twice."""
    data = data or {}
    names = event_names(event, data)
    if active is None:
        active = list(TicketNotification.objects.filter(valid=True))
    chosen = [n for n in active if names & set(n.events or ())]
    if not chosen:
        return []  # most events notify nobody: no need to load anything
    ticket = _ticket(ticket_id)
    if ticket is None:
        return []
    prefetch_related_objects(
        chosen, "texts", "recipient_agents", "recipient_groups", "recipient_roles"
    )
    ctx = context(ticket, event, actor_id=actor_id, article_id=article_id, data=data)
    sent: list[User] = []
    with transaction.atomic():
        for notification in chosen:
            plans = plan(notification, ctx)
            sent += _deliver(notification, event, ctx, plans, key=key)
    return sent


# --- the decisions -----------------------------------------------------------------------------


def filter_passes(notification: TicketNotification, ctx: Context) -> bool:
    """The ticket filter (the condition language) and the article filter."""
    if notification.ticket_filter:
        tree = notification.ticket_filter
        facts = facts_for(tree, ctx.ticket, ctx.now)
        if not matches(tree, ticket_schema(), facts, ctx.now):
            return False
    if notification.article_sender_types or notification.article_channels:
        article = ctx.article()
        if article is None:
            return False
        senders, channels = notification.article_sender_types, notification.article_channels
        if senders and article.sender_type not in senders:
            return False
        if channels and article.channel not in channels:
            return False
    return True


def candidate_ids(notification: TicketNotification, ctx: Context) -> set[int]:
    """The agents ``notification`` names for the ticket, by role and by name (ids)."""
    ticket, roles = ctx.ticket, set(notification.recipients or ())
    ids: set[int] = set()
    if NotificationRecipient.OWNER in roles:
        ids.add(ticket.owner_id)
    if NotificationRecipient.RESPONSIBLE in roles:
        ids.add(ticket.responsible_id)
    if NotificationRecipient.NAMED in roles and ctx.data.get("new"):
        ids.add(int(ctx.data["new"]))
    if NotificationRecipient.WATCHERS in roles:
        ids.update(
            TicketWatcher.objects.filter(ticket_id=ticket.pk).values_list("user_id", flat=True)
        )
    if NotificationRecipient.MY_QUEUES in roles:
        ids.update(
            PersonalQueue.objects.filter(queue_id=ticket.queue_id).values_list("user_id", flat=True)
        )
    if NotificationRecipient.WRITE_PERMISSIONS in roles:
        ids.update(
            agents_holding(PermissionKey.RW, [ticket.queue.group_id])
            .order_by()
            .values_list("pk", flat=True)
        )
    ids.update(u.pk for u in notification.recipient_agents.all())
    groups = [g.pk for g in notification.recipient_groups.all()]
    if groups:
        ids.update(agents_holding(PermissionKey.RO, groups).order_by().values_list("pk", flat=True))
    for role in notification.recipient_roles.all():
        if role.is_valid:
            ids.update(role.members.values_list("pk", flat=True))
    return ids


def _readers(ctx: Context, ids: set[int], note_is_enough: bool) -> list[User]:
    """The candidates, each with ``may_read`` (tickets.access.can for all at once: owner,
    responsible, a group grant (ro, or note for a note), or watching)."""
    ticket = ctx.ticket
    watching = Exists(TicketWatcher.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk")))
    keys = [PermissionKey.RO, PermissionKey.NOTE] if note_is_enough else [PermissionKey.RO]
    may_read = Q(pk=ticket.owner_id) | Q(pk=ticket.responsible_id) | Q(watching)
    for key in keys:
        holders = agents_holding(key, [ticket.queue.group_id]).order_by().values("pk")
        may_read |= Q(pk__in=holders)
    return list(
        User.objects.filter(pk__in=ids)
        .annotate(may_read=ExpressionWrapper(may_read, output_field=BooleanField()))
        .order_by("pk")
    )


def _addresses(notification: TicketNotification) -> list[str]:
    lines = (notification.recipient_addresses or "").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _transports(notification: TicketNotification) -> set[str]:
    """How ``notification`` reaches agents (mail when nothing is ticked, as before)."""
    return set(notification.transports or ()) or {NotificationTransport.EMAIL}


def _skip_for(user: User, ctx: Context, notification: TicketNotification, mentioned) -> str:
    if user.pk == ctx.actor_id:
        return NotificationSkip.ACTOR
    if user.kind != UserKind.AGENT or not user.is_active:
        return NotificationSkip.INACTIVE
    if not user.email and NotificationTransport.WEB not in _transports(notification):
        return NotificationSkip.NO_ADDRESS
    if not user.may_read:  # type: ignore[attr-defined]
        return NotificationSkip.MAY_NOT_READ
    if user.pk in mentioned():
        return NotificationSkip.MENTIONED
    if not wants(user, notification):
        return NotificationSkip.PREFERENCE
    return ""


def plan(notification: TicketNotification, ctx: Context) -> list[Planned]:
    """Who ``notification`` goes to for the event of ``ctx``, with the rendered texts, and
    who not and why. Writes nothing (the admin's preview shows exactly this)."""
    if not filter_passes(notification, ctx):
        return [Planned(recipient="", skip=NotificationSkip.FILTER)]
    ids = candidate_ids(notification, ctx)
    # The system user never gets mail, and is not worth a line in the trace.
    ids -= {u.pk for u in (ctx.ticket.owner, ctx.ticket.responsible) if u.is_system}
    note_is_enough = bool(ctx.names & _NOTE_EVENTS)

    @cache
    def mentioned() -> set[int]:
        article = ctx.article() if ADD_NOTE in ctx.names else None
        if article is None:
            return set()
        return set(Mention.objects.filter(article_id=article.pk).values_list("user_id", flat=True))

    plans: list[Planned] = []
    for user in _readers(ctx, ids, note_is_enough) if ids else []:
        if user.is_system:
            continue
        skip = _skip_for(user, ctx, notification, mentioned)
        plans.append(
            Planned(
                recipient=user.get_username(),
                user=user,
                skip=skip,
                language=user.language or settings.LANGUAGE_CODE,
            )
        )
    if NotificationRecipient.CUSTOMER in (notification.recipients or ()):
        plans.append(_customer_plan(ctx))
    for address in _addresses(notification):
        plans.append(Planned(recipient=address, language=settings.LANGUAGE_CODE))
    if notification.once_per_day:
        _once_per_day(notification, plans, ctx)
    texts = {t.language: t for t in notification.texts.all()}
    for planned in plans:
        if planned.skip:
            continue
        text = (
            texts.get(planned.language)
            or texts.get(settings.LANGUAGE_CODE)
            or next(iter(texts.values()), None)
        )
        if text is None:
            planned.skip = NotificationSkip.NO_TEXT
            continue
        with translation.override(planned.language):
            planned.subject, planned.body = compose(
                text.subject, text.body, ctx, planned.user, customer=planned.customer
            )
    return plans


def _customer_plan(ctx: Context) -> Planned:
    """The decision for the ticket's customer."""
    customer = customer_recipient(ctx.ticket)
    return Planned(
        recipient=customer.address if customer else (ctx.ticket.customer_user or ""),
        customer=customer,
        skip=notification_customers.skip_for(customer, ctx.actor),
        language=customer.language if customer else settings.LANGUAGE_CODE,
    )


def _once_per_day(notification: TicketNotification, plans: list[Planned], ctx: Context) -> None:
    """Skip who had ``notification`` of this ticket today (OTRS OncePerDay)."""
    midnight = timezone.localtime(ctx.now).replace(hour=0, minute=0, second=0, microsecond=0)
    wanted = [p.recipient for p in plans if not p.skip]
    if not wanted:
        return
    had = set(
        NotificationTrace.objects.filter(
            notification=notification,
            ticket_id=ctx.ticket.pk,
            recipient__in=wanted,
            outcome=NotificationOutcome.SENT,
            created_at__gte=midnight,
        ).values_list("recipient", flat=True)
    )
    for planned in plans:
        if not planned.skip and planned.recipient in had:
            planned.skip = NotificationSkip.ONCE_PER_DAY


# --- the mail ----------------------------------------------------------------------------------


def _deliver(
    notification: TicketNotification,
    event: str,
    ctx: Context,
    plans: list[Planned],
    *,
    key: str | None,
) -> list[User]:
    ticket = ctx.ticket
    keys = {p.recipient: f"{key}:{notification.pk}:{p.recipient}" for p in plans} if key else {}
    done = _delivered(list(keys.values()))
    # The history row names whoever made the change (the system if they are gone).
    recorder = ctx.actor or system_user()
    traces: list[NotificationTrace] = []
    shown: list[WebNotification] = []
    sent: list[User] = []
    for planned in plans:
        if keys.get(planned.recipient) in done:
            continue  # a redelivery: sent (and traced) the first time
        if not planned.skip and planned.customer is not None:
            planned.skip = notification_customers.deliver(
                ticket,
                planned.customer,
                planned.subject,
                planned.body,
                key=keys.get(planned.recipient),
            )
        traces.append(
            NotificationTrace(
                notification=notification,
                notification_name=notification.name,
                ticket_id=ticket.pk,
                ticket_number=ticket.number,
                event_name=event,
                recipient_id=planned.user.pk if planned.user else None,
                recipient=planned.recipient,
                outcome=NotificationOutcome.SKIPPED if planned.skip else NotificationOutcome.SENT,
                reason=planned.skip,
                created_at=ctx.now,
            )
        )
        if planned.skip or planned.customer is not None:
            continue
        user = planned.user
        used, web = _tell(planned, notification, event, ctx, key=keys.get(planned.recipient))
        if web is not None:
            shown.append(web)
        extra: dict[str, Any] = {
            "notification": notification.key,
            "login": planned.recipient,
            "event": event,
        }
        if used != [NotificationTransport.EMAIL]:
            extra["transports"] = [str(t) for t in used]
        record_history(
            ticket,
            HistoryType.SEND_AGENT_NOTIFICATION,
            recorder,
            new=user.pk if user is not None else None,
            extra=extra,
        )
        if user is not None:
            sent.append(user)
    NotificationTrace.objects.bulk_create(traces)
    WebNotification.objects.bulk_create(shown)
    return sent


def _tell(
    planned: Planned,
    notification: TicketNotification,
    event: str,
    ctx: Context,
    *,
    key: str | None,
) -> tuple[list[str], WebNotification | None]:
    """Queue the mail of an agent or a given address; the transports used and the in-app
    notification to make (unsaved). Given addresses get mail; an agent what the
    notification's transports say (mail only to an agent with an address)."""
    user = planned.user
    transports = _transports(notification)
    used: list[str] = sorted(transports) if user is not None else [NotificationTransport.EMAIL]
    if user is not None and not user.email:
        used = [t for t in used if t != NotificationTransport.EMAIL]
    if NotificationTransport.EMAIL in used:
        to = format_address(user.email, user.get_full_name()) if user else planned.recipient
        queue_system_mail(
            to=to,
            subject=planned.subject,
            body=planned.body,
            kind=OutboundKind.AGENT_NOTIFICATION,
            ticket=ctx.ticket,
            idempotency_key=key,
        )
    web = None
    if NotificationTransport.WEB in used and user is not None:
        web = WebNotification(
            user=user,
            ticket=ctx.ticket,
            notification=notification,
            event_name=event,
            # Who was told because a note is enough keeps seeing it with that permission.
            need=PermissionKey.NOTE if ctx.names & _NOTE_EVENTS else PermissionKey.RO,
            subject=planned.subject[:250],
            body=planned.body,
            created_at=ctx.now,
            idempotency_key=key,
        )
    return used, web


def _delivered(keys: list[str]) -> set[str]:
    """The keys under which a mail was queued or an in-app notification made already."""
    if not keys:
        return set()
    found: set[str] = set()
    for model in (OutboundMessage, WebNotification):
        rows = model.objects.filter(idempotency_key__in=keys)
        found.update(str(k) for k in rows.values_list("idempotency_key", flat=True))
    return found


def compose(
    subject: str,
    body: str,
    ctx: Context,
    recipient: User | None,
    *,
    customer: CustomerRecipient | None = None,
) -> tuple[str, str]:
    """A notification's subject and body with their tags expanded, in the active language.
    Besides the tags of :mod:`tickets.mailtexts`: ``<OTRS_TICKET_Link>`` (the ticket in the
    agent portal), ``<OTRS_NOTIFICATION_PreferencesLink>`` and ``<OTRS_NOTIFICATION_Article>``
    (the article's sender, subject and first lines), and the customer tags of
    :func:`tickets.notification_customers.tags`; state and priority come translated."""
    ticket = ctx.ticket
    uses_article = "notification_article" in (subject + body).lower()
    extra = {
        **notification_customers.tags(subject + body, ticket, ctx.article, customer, recipient),
        "ticket_state": _(ticket.state.name),
        "ticket_priority": _(ticket.priority.name),
        "ticket_link": settings.SITE_URL + reverse("agent:zoom", args=[ticket.pk]),
        "notification_preferenceslink": settings.SITE_URL + reverse("agent:preferences"),
        "notification_article": _article_block(ctx.article()) if uses_article else "",
    }

    def expand(text: str) -> str:
        return render(text, ticket=ticket, agent=ctx.actor, recipient=recipient, extra=extra)

    number = f"{settings.TICKET_HOOK}{ticket.number}"
    return " ".join(f"[{number}] {expand(subject)}".split()), expand(body)


def _article_block(article: Article | None) -> str:
    if article is None:
        return ""
    lines = article_text(article).strip("\n").splitlines()
    return render_to_string(
        "tickets/notifications/article.txt",
        {
            "article": article,
            "author": article.from_address or _display(article.created_by),
            "excerpt": "\n".join(lines[:EXCERPT_LINES]),
            "more": len(lines) > EXCERPT_LINES,
        },
    )


def _display(user: User | None) -> str:
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()


def _preview_context(ticket: Ticket, event: str, actor: User | None) -> Context:
    """The context of ``event`` on ``ticket`` by ``actor`` as if it had just happened. An
    owner or responsible update names the ticket's current owner or responsible; the
    ticket's latest article stands for the event's."""
    data: dict = {}
    if event in (FOLLOW_UP, ADD_NOTE):
        data["history_type"] = event
        event = TicketEvent.ARTICLE_CREATE
    if event == TicketEvent.TICKET_OWNER_UPDATE:
        data["new"] = ticket.owner_id
    if event == TicketEvent.TICKET_RESPONSIBLE_UPDATE:
        data["new"] = ticket.responsible_id
    # The ticket's latest article stands for the event's (a note, a follow-up).
    latest = Article.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()
    return context(
        ticket,
        event,
        actor_id=actor.pk if actor else None,
        article_id=latest.pk if latest else None,
        data=data,
    )


def preview(
    notification: TicketNotification, ticket: Ticket, event: str, actor: User | None
) -> list[Planned]:
    """:func:`plan` for ``ticket`` as if ``event`` had just happened by ``actor``: the admin's
    dry run (see :func:`_preview_context`)."""
    return plan(notification, _preview_context(ticket, event, actor))


def texts_for_test_mail(
    notification: TicketNotification,
    ticket: Ticket,
    event: str,
    actor: User | None,
    *,
    language: str,
    reader: User,
) -> tuple[str, str] | None:
    """Subject and body of ``notification`` in ``language`` for ``ticket`` as if ``event``
    had just happened by ``actor``, whoever would get it: the admin's test mail, which
    ``reader`` (the admin) gets. Recipient tags name the reader; a notification to the
    customer greets the ticket's customer. None if there is no text in ``language``."""
    text = notification.texts.filter(language=language).first()
    if text is None:
        return None
    ctx = _preview_context(ticket, event, actor)
    customer = None
    if NotificationRecipient.CUSTOMER in (notification.recipients or ()):
        customer = customer_recipient(ticket)
    with translation.override(language):
        return compose(text.subject, text.body, ctx, reader, customer=customer)
