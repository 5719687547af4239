"""Agent notifications (spec section 11): a plain mail to each agent concerned by a change.

:func:`handle` is the event handler ``tickets.agent_notifications`` (see
:mod:`tickets.receivers`): it gets each committed change's events and maps them to the OTRS
default notifications:

============================  ================================  ===========================
event                         notification                      recipients
============================  ================================  ===========================
TicketCreate                  new ticket (#1)                   my queues
ArticleCreate, FollowUp       follow-up, ticket unlocked (#2)   owner, watchers, my queues
ArticleCreate, FollowUp       follow-up, ticket locked (#3)     owner, responsible, watchers
TicketLockTimeout             lock timeout (#4)                 owner
TicketOwnerUpdate             owner update (#5)                 the new owner
TicketResponsibleUpdate       responsible update (#6)           the new responsible
ArticleCreate, AddNote        new note (#7)                     owner, responsible, watchers
TicketQueueUpdate             queue update (#8)                 my queues (of the new queue)
TicketMention                 mentioned in a note (ours)        the agent named with @login
NotificationPendingReminder   pending reminder, locked (#9)     owner, responsible
NotificationPendingReminder   pending reminder, unlocked (#10)  owner, responsible, my queues
NotificationEscalation        escalation (#11)                  my queues, responsible
NotificationEscalation...     escalation warning (#12)          my queues, responsible
============================  ================================  ===========================

"My queues" are the agent's :class:`~tickets.models.PersonalQueue` rows. Dropped are the
system user, inactive users and customers, the actor, agents without an address, agents
who may not read the ticket (``ro``; for a note ``note`` is enough: the rules of
:mod:`tickets.access`, evaluated for all candidates in the one query that finds them), and
agents who switched the notification off in their preferences (every one is on by default).

Each recipient gets one mail in their language, queued as system mail in the persistent
outgoing queue (:func:`otrs.mail.outbound.queue_system_mail`), and the ticket a
SendAgentNotification history entry; no article is created.

The handler runs in a Celery worker after the commit, in a transaction that also marks its
delivery done (:mod:`otrs.events.delivery`): a failure rolls back what it queued and the
batch is tried again later, then shows as a failed delivery in the admin. It may see a batch
twice; each mail is queued under a key made of the delivery key, the event and the
recipient, and a recipient whose mail is queued already is skipped, so nobody is mailed
twice.

``TicketLockTimeout`` comes from the unlock sweep (:mod:`tickets.actions.timeouts`), with
the system user as actor.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from otrs import events
from otrs.accounts.models import User, UserKind, system_user
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import format_address
from otrs.permissions import PermissionKey, agents_holding

from .actions import record_history
from .choices import HistoryType, LockState
from .deliveries import queue_system_mail
from .events import TicketEvent
from .mailtexts import article_text
from .models import Article, Mention, PersonalQueue, Ticket, TicketWatcher

logger = logging.getLogger(__name__)

# How much of an article a notification shows.
EXCERPT_LINES = 15

# Who a notification may go to.
OWNER = "owner"
RESPONSIBLE = "responsible"
WATCHERS = "watchers"
MY_QUEUES = "my_queues"
# Agents with rw on the ticket's queue's group (OTRS AgentWritePermissions).
WRITE_PERMISSIONS = "write_permissions"
# The user named by the event's data["new"] (an owner or responsible update).
NEW_USER = "new_user"


@dataclass(frozen=True)
class Notification:
    """One kind of agent notification; ``key`` is the preference key."""

    key: str
    label: Promise
    subject: Promise
    intro: Promise
    recipients: tuple[str, ...]
    with_article: bool = False
    note_is_enough: bool = False
    default: bool = True


NEW_TICKET = Notification(
    "new_ticket",
    gettext_lazy("A new ticket in one of my queues"),
    gettext_lazy("New ticket: %(title)s"),
    gettext_lazy("A new ticket was opened in queue %(queue)s."),
    (MY_QUEUES,),
    with_article=True,
)
FOLLOW_UP_UNLOCKED = Notification(
    "follow_up_unlocked",
    gettext_lazy("A follow-up on an unlocked ticket (I own or watch it, or it is in my queues)"),
    gettext_lazy("Follow-up: %(title)s"),
    gettext_lazy("A follow-up arrived for ticket %(number)s, which is not locked."),
    (OWNER, WATCHERS, MY_QUEUES),
    with_article=True,
)
FOLLOW_UP_LOCKED = Notification(
    "follow_up_locked",
    gettext_lazy("A follow-up on a locked ticket I own, am responsible for or watch"),
    gettext_lazy("Follow-up: %(title)s"),
    gettext_lazy("A follow-up arrived for ticket %(number)s, locked by %(owner)s."),
    (OWNER, RESPONSIBLE, WATCHERS),
    with_article=True,
)
LOCK_TIMEOUT = Notification(
    "lock_timeout",
    gettext_lazy("The lock of a ticket I own timed out"),
    gettext_lazy("Lock timed out: %(title)s"),
    gettext_lazy("The lock of ticket %(number)s timed out; the ticket is unlocked now."),
    (OWNER,),
)
OWNER_UPDATE = Notification(
    "owner_update",
    gettext_lazy("I became the owner of a ticket"),
    gettext_lazy("You are the owner now: %(title)s"),
    gettext_lazy("%(actor)s made you the owner of ticket %(number)s."),
    (NEW_USER,),
)
RESPONSIBLE_UPDATE = Notification(
    "responsible_update",
    gettext_lazy("I became responsible for a ticket"),
    gettext_lazy("You are responsible now: %(title)s"),
    gettext_lazy("%(actor)s made you responsible for ticket %(number)s."),
    (NEW_USER,),
)
NEW_NOTE = Notification(
    "new_note",
    gettext_lazy("A new note on a ticket I own, am responsible for or watch"),
    gettext_lazy("New note: %(title)s"),
    gettext_lazy("%(actor)s added a note to ticket %(number)s."),
    (OWNER, RESPONSIBLE, WATCHERS),
    with_article=True,
    note_is_enough=True,
)
MENTION = Notification(
    "mention",
    gettext_lazy("I was mentioned in a note (@login)"),
    gettext_lazy("You were mentioned: %(title)s"),
    gettext_lazy("%(actor)s mentioned you in a note on ticket %(number)s."),
    (NEW_USER,),
    with_article=True,
    note_is_enough=True,
)
QUEUE_UPDATE = Notification(
    "queue_update",
    gettext_lazy("A ticket was moved into one of my queues"),
    gettext_lazy("Moved to %(queue)s: %(title)s"),
    gettext_lazy("%(actor)s moved ticket %(number)s into queue %(queue)s."),
    (MY_QUEUES,),
)
ESCALATION = Notification(
    "escalation",
    gettext_lazy("A ticket in my queues or that I am responsible for escalated"),
    gettext_lazy("Escalated: %(title)s"),
    gettext_lazy("Ticket %(number)s in queue %(queue)s is past an SLA target."),
    (MY_QUEUES, WRITE_PERMISSIONS, RESPONSIBLE),
)
ESCALATION_WARNING = Notification(
    "escalation_warning",
    gettext_lazy("A ticket in my queues or that I am responsible for is about to escalate"),
    gettext_lazy("About to escalate: %(title)s"),
    gettext_lazy("Ticket %(number)s in queue %(queue)s will soon be past an SLA target."),
    (MY_QUEUES, WRITE_PERMISSIONS, RESPONSIBLE),
)
PENDING_REMINDER_LOCKED = Notification(
    "pending_reminder_locked",
    gettext_lazy("The reminder time of a locked ticket I own or am responsible for passed"),
    gettext_lazy("Reminder reached: %(title)s"),
    gettext_lazy("The pending reminder time of ticket %(number)s has passed."),
    (OWNER, RESPONSIBLE),
)
PENDING_REMINDER_UNLOCKED = Notification(
    "pending_reminder_unlocked",
    gettext_lazy("The reminder time of an unlocked ticket in my queues passed"),
    gettext_lazy("Reminder reached: %(title)s"),
    gettext_lazy(
        "The pending reminder time of ticket %(number)s, which is not locked, has passed."
    ),
    (OWNER, RESPONSIBLE, MY_QUEUES),
)

# In the order the preferences page lists them.
NOTIFICATIONS: dict[str, Notification] = {
    n.key: n
    for n in (
        NEW_TICKET,
        FOLLOW_UP_UNLOCKED,
        FOLLOW_UP_LOCKED,
        NEW_NOTE,
        MENTION,
        OWNER_UPDATE,
        RESPONSIBLE_UPDATE,
        QUEUE_UPDATE,
        LOCK_TIMEOUT,
        ESCALATION,
        ESCALATION_WARNING,
        PENDING_REMINDER_LOCKED,
        PENDING_REMINDER_UNLOCKED,
    )
}

# The event handler's name (stored on its deliveries) and what it subscribes to.
HANDLER = "tickets.agent_notifications"
EVENTS = frozenset(
    {
        TicketEvent.TICKET_CREATE,
        TicketEvent.ARTICLE_CREATE,
        TicketEvent.TICKET_LOCK_TIMEOUT,
        TicketEvent.TICKET_OWNER_UPDATE,
        TicketEvent.TICKET_RESPONSIBLE_UPDATE,
        TicketEvent.TICKET_QUEUE_UPDATE,
        TicketEvent.TICKET_MENTION,
        TicketEvent.NOTIFICATION_ESCALATION,
        TicketEvent.NOTIFICATION_ESCALATION_NOTIFY_BEFORE,
        TicketEvent.NOTIFICATION_PENDING_REMINDER,
    }
)


def wants(user: User, notification: Notification) -> bool:
    """The agent's preference for ``notification``; unset means the default."""
    prefs = user.notification_preferences or {}
    return bool(prefs.get(notification.key, notification.default))


# --- muting (bulk loads) -----------------------------------------------------------------------


def muted() -> AbstractContextManager[None]:
    """No agent notifications for changes committed inside this block (demo data, imports:
    what they create is history, not news). The commit must happen inside the block."""
    return events.muting(HANDLER)


# --- the handler -------------------------------------------------------------------------------


def handle(batch: events.Batch) -> None:
    """The event handler: the notifications of each event of the change, in order. An
    exception leaves the delivery to be tried again (nothing of this attempt stays)."""
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
        )


def notify(
    event: str,
    *,
    ticket_id: int,
    actor_id: int,
    article_id: int | None = None,
    data: dict | None = None,
    key: str | None = None,
) -> list[User]:
    """Send the notification of ``event``, if any, to its recipients; they are returned.
    With ``key`` (the handler's delivery key and the event), recipients whose mail under
    that key is queued already are left out: a redelivered batch mails nobody twice."""
    data = data or {}
    if event == TicketEvent.ARTICLE_CREATE and data.get("history_type") not in (
        HistoryType.FOLLOW_UP,
        HistoryType.ADD_NOTE,
    ):
        return []  # most articles notify nobody: no need to load anything
    # Only agents following the queue hear of a new ticket; usually nobody does.
    if (
        event == TicketEvent.TICKET_CREATE
        and "queue_id" in data
        and not PersonalQueue.objects.filter(queue_id=data["queue_id"]).exists()
    ):
        return []
    ticket = (
        Ticket.objects.select_related("queue", "state", "priority", "owner", "responsible")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return []
    notification = _notification_for(event, data, ticket)
    if notification is None:
        return []
    candidates = recipients(notification, ticket, actor_id=actor_id, data=data)
    if notification is NEW_NOTE and candidates and article_id is not None:
        # Agents the note mentions get the mention's mail instead (not two for one note).
        named = set(Mention.objects.filter(article_id=article_id).values_list("user_id", flat=True))
        candidates = [user for user in candidates if user.pk not in named]
    users = [user for user in candidates if wants(user, notification)]
    if not users:
        return []
    article = _article(notification, ticket, article_id)
    actor = User.objects.filter(pk=actor_id).first()
    with transaction.atomic():
        _deliver(notification, event, ticket, article, actor, users, key=key)
    return users


def _notification_for(event: str, data: dict, ticket: Ticket) -> Notification | None:
    if event == TicketEvent.TICKET_CREATE:
        return NEW_TICKET
    if event == TicketEvent.ARTICLE_CREATE:
        history_type = data.get("history_type")
        if history_type == HistoryType.FOLLOW_UP:
            return FOLLOW_UP_UNLOCKED if ticket.lock == LockState.UNLOCK else FOLLOW_UP_LOCKED
        if history_type == HistoryType.ADD_NOTE:
            return NEW_NOTE
        return None
    if event == TicketEvent.NOTIFICATION_PENDING_REMINDER:
        if ticket.lock == LockState.UNLOCK:
            return PENDING_REMINDER_UNLOCKED
        return PENDING_REMINDER_LOCKED
    by_event: dict[str, Notification] = {
        TicketEvent.NOTIFICATION_ESCALATION: ESCALATION,
        TicketEvent.NOTIFICATION_ESCALATION_NOTIFY_BEFORE: ESCALATION_WARNING,
        TicketEvent.TICKET_LOCK_TIMEOUT: LOCK_TIMEOUT,
        TicketEvent.TICKET_OWNER_UPDATE: OWNER_UPDATE,
        TicketEvent.TICKET_RESPONSIBLE_UPDATE: RESPONSIBLE_UPDATE,
        TicketEvent.TICKET_QUEUE_UPDATE: QUEUE_UPDATE,
        TicketEvent.TICKET_MENTION: MENTION,
    }
    return by_event.get(event)


def recipients(
    notification: Notification, ticket: Ticket, *, actor_id: int | None, data: dict | None = None
) -> list[User]:
    """The agents ``notification`` of ``ticket`` goes to, before their preferences.

    First the candidates by role (cheap: ids on the ticket, one small query for watchers
    and for "my queues"); only if there are any, one query that keeps the active agents
    with an address who may read the ticket. Mail intake, where owner and responsible are
    the system user and nobody follows the queue, so costs one or two small queries.
    """
    data = data or {}
    roles = notification.recipients
    ids: set[int] = set()
    if OWNER in roles:
        ids.add(ticket.owner_id)
    if RESPONSIBLE in roles:
        ids.add(ticket.responsible_id)
    if NEW_USER in roles and data.get("new"):
        ids.add(int(data["new"]))
    if WATCHERS in roles:
        ids.update(
            TicketWatcher.objects.filter(ticket_id=ticket.pk).values_list("user_id", flat=True)
        )
    if MY_QUEUES in roles:
        ids.update(
            PersonalQueue.objects.filter(queue_id=ticket.queue_id).values_list("user_id", flat=True)
        )
    if WRITE_PERMISSIONS in roles:
        ids.update(
            agents_holding(PermissionKey.RW, [ticket.queue.group_id])
            .order_by()
            .values_list("pk", flat=True)
        )
    ids.discard(actor_id)
    # The system user never gets mail (owner and responsible are loaded with the ticket).
    ids -= {u.pk for u in (ticket.owner, ticket.responsible) if u.is_system}
    if not ids:
        return []
    # tickets.access.can for every candidate at once: owner, responsible, a group grant
    # (ro, or note for a note), or watching (read only).
    watching = Exists(TicketWatcher.objects.filter(ticket_id=ticket.pk, user_id=OuterRef("pk")))
    keys = (
        [PermissionKey.RO, PermissionKey.NOTE]
        if notification.note_is_enough
        else [PermissionKey.RO]
    )
    may_read = Q(pk=ticket.owner_id) | Q(pk=ticket.responsible_id) | Q(watching)
    for key in keys:
        holders = agents_holding(key, [ticket.queue.group_id]).order_by().values("pk")
        may_read |= Q(pk__in=holders)
    return list(
        User.objects.filter(may_read, pk__in=ids, kind=UserKind.AGENT, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def _article(notification: Notification, ticket: Ticket, article_id: int | None) -> Article | None:
    if not notification.with_article:
        return None
    articles = Article.objects.filter(ticket=ticket).select_related("created_by")
    if article_id is not None:
        return articles.filter(pk=article_id).first()
    return articles.order_by("created_at", "id").first()


# --- the mail ----------------------------------------------------------------------------------


def _deliver(
    notification: Notification,
    event: str,
    ticket: Ticket,
    article: Article | None,
    actor: User | None,
    users: list[User],
    *,
    key: str | None,
) -> None:
    keys = {user.pk: f"{key}:{user.pk}" for user in users} if key else {}
    queued = set(
        OutboundMessage.objects.filter(idempotency_key__in=keys.values()).values_list(
            "idempotency_key", flat=True
        )
        if keys
        else ()
    )
    # The history row names whoever made the change (the system if they are gone).
    recorder = actor or system_user()
    for user in users:
        if keys.get(user.pk) in queued:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = compose(notification, ticket, article, actor=actor, recipient=user)
        queue_system_mail(
            to=format_address(user.email, user.get_full_name()),
            subject=subject,
            body=body,
            kind=OutboundKind.AGENT_NOTIFICATION,
            ticket=ticket,
            idempotency_key=keys.get(user.pk),
        )
        record_history(
            ticket,
            HistoryType.SEND_AGENT_NOTIFICATION,
            recorder,
            new=user.pk,
            extra={"notification": notification.key, "login": user.username, "event": event},
        )


def _display(user: User | None) -> str:
    if user is None:
        return "-"
    return user.get_full_name() or user.get_username()


def compose(
    notification: Notification,
    ticket: Ticket,
    article: Article | None,
    *,
    actor: User | None,
    recipient: User,
) -> tuple[str, str]:
    """Subject and body of ``notification`` for ``recipient``, in the active language."""
    number = f"{settings.TICKET_HOOK}{ticket.number}"
    words = {
        "number": number,
        "title": ticket.title,
        "queue": ticket.queue.full_name,
        "actor": _display(actor),
        "owner": _display(ticket.owner),
    }
    subject = " ".join(f"[{number}] {notification.subject % words}".split())
    excerpt, more = "", False
    if article is not None:
        lines = article_text(article).strip("\n").splitlines()
        excerpt, more = "\n".join(lines[:EXCERPT_LINES]), len(lines) > EXCERPT_LINES
    body = render_to_string(
        "tickets/notifications/agent.txt",
        {
            "intro": notification.intro % words,
            "number": number,
            "ticket": ticket,
            "state": _(ticket.state.name),
            "priority": _(ticket.priority.name),
            "owner": words["owner"],
            "customer": ticket.customer_user or ticket.customer_id,
            "article": article,
            "author": _author(article),
            "excerpt": excerpt,
            "more": more,
            "url": settings.SITE_URL + reverse("agent:zoom", args=[ticket.pk]),
            "preferences_url": settings.SITE_URL + reverse("agent:preferences"),
            "recipient": recipient,
        },
    )
    return subject, body


def _author(article: Article | None) -> str:
    if article is None:
        return ""
    return article.from_address or _display(article.created_by)
