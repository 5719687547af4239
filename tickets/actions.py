"""Every change to a ticket, one function per intent.

Each action runs in a transaction, locks the ticket row (``SELECT ... FOR UPDATE``) so two
concurrent edits queue up instead of overwriting each other, checks the actor's permission
through :mod:`tickets.access`, writes append-only history with the OTRS history type and raw
old/new values, and announces the change with :func:`tickets.events.emit`, which waits for the
commit. Nothing else assigns ticket fields.

Actors are users: agents are checked by the access layer, the system user (OTRS user 1) is
trusted, customers may only read and write on their own tickets. A refused change raises
:class:`otrs.errors.DomainError` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.errors import DomainError
from otrs.permissions import PermissionKey

from . import access, numbers
from .choices import (
    PENDING_STATE_TYPES,
    UNMERGEABLE_STATE_TYPES,
    Channel,
    HistoryType,
    LinkType,
    LockState,
    SenderType,
    StateType,
    TicketFlagKey,
)
from .events import emit
from .models import (
    SLA,
    Article,
    ArticleFlag,
    ArticleRaw,
    Attachment,
    MergeRecord,
    Priority,
    Queue,
    Service,
    State,
    Ticket,
    TicketFlag,
    TicketHistory,
    TicketLink,
    TicketType,
    TicketWatcher,
)

MAX_MERGE_HOPS = 10
TITLE_MAX = 255


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    content_id: str = ""
    disposition: str = "attachment"


@dataclass(frozen=True)
class ArticleInput:
    """What a new article says; the action decides everything else."""

    channel: str = Channel.INTERNAL
    sender_type: str = SenderType.AGENT
    body: str = ""
    body_html: str = ""
    subject: str = ""
    is_visible_for_customer: bool = False
    from_address: str = ""
    reply_to: str = ""
    to_address: str = ""
    cc_address: str = ""
    bcc_address: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    raw: bytes | None = None
    attachments: Sequence[AttachmentInput] = field(default_factory=tuple)
    created_at: datetime | None = None


# --- internals ---------------------------------------------------------------------------------


def _locked(ticket: Ticket | int) -> Ticket:
    """Re-read the ticket under a row lock; the caller is inside a transaction."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return Ticket.objects.select_for_update().get(pk=pk)


def _locked_many(tickets: Iterable[Ticket | int]) -> dict[int, Ticket]:
    """Lock several tickets in id order, so two multi-ticket actions cannot deadlock."""
    pks = sorted({t.pk if isinstance(t, Ticket) else t for t in tickets})
    return {pk: _locked(pk) for pk in pks}


def _require(actor: User, ticket: Ticket, need: str) -> None:
    if actor.is_system:
        return
    if actor.is_customer:
        allowed = need in (PermissionKey.RO, PermissionKey.NOTE) and _customer_owns(actor, ticket)
    else:
        allowed = access.can(actor, ticket, need)
    if not allowed:
        raise DomainError(
            _("You do not have the “%(key)s” permission on ticket %(number)s.")
            % {"key": PermissionKey(need).label, "number": ticket.number},
            code="permission_denied",
        )


def _customer_owns(customer: User, ticket: Ticket) -> bool:
    if ticket.customer_user and ticket.customer_user.lower() == customer.username.lower():
        return True
    profile = getattr(customer, "customer_profile", None)
    return bool(profile and ticket.customer_id and ticket.customer_id in profile.customer_ids())


def _require_queue(actor: User, queue: Queue, need: str) -> None:
    if actor.is_system:
        return
    if not access.can_use_queue(actor, queue, need):
        raise DomainError(
            _("You do not have the “%(key)s” permission on queue %(queue)s.")
            % {"key": PermissionKey(need).label, "queue": queue.full_name},
            code="permission_denied",
        )


def _history(
    ticket: Ticket,
    history_type: str,
    actor: User,
    *,
    article: Article | None = None,
    old: object = "",
    new: object = "",
    extra: dict | None = None,
) -> TicketHistory:
    """Append one history row; raw values only, rendered and translated at display time."""
    return TicketHistory.objects.create(
        ticket=ticket,
        article=article,
        history_type=history_type,
        old_value="" if old is None else str(old),
        new_value="" if new is None else str(new),
        extra=extra or {},
        queue_id=ticket.queue_id,
        state_id=ticket.state_id,
        priority_id=ticket.priority_id,
        type_id=ticket.type_id,
        owner_id=ticket.owner_id,
        actor=actor,
    )


def _save(ticket: Ticket, actor: User, *fields: str) -> None:
    ticket.changed_at = timezone.now()
    ticket.changed_by = actor
    ticket.save(update_fields=[*fields, "changed_at", "changed_by"])


def _check_pending(state: State, pending_until: datetime | None) -> None:
    if state.state_type in PENDING_STATE_TYPES and pending_until is None:
        raise DomainError(
            _("The state “%(state)s” needs a pending time.") % {"state": state.name},
            code="pending_time_required",
        )
    if pending_until is not None and timezone.is_naive(pending_until):
        raise DomainError(_("The pending time needs a time zone."), code="naive_datetime")


def _unlock(ticket: Ticket, actor: User) -> bool:
    """Unlock in memory and write history; the caller saves ``lock``."""
    if ticket.lock == LockState.UNLOCK:
        return False
    old = ticket.lock
    ticket.lock = LockState.UNLOCK
    _history(ticket, HistoryType.UNLOCK, actor, old=old, new=LockState.UNLOCK)
    return True


def _check_owner_candidate(user: User, queue: Queue) -> None:
    if user.is_system:
        return
    if not (
        user.is_active and user.is_agent and access.can_use_queue(user, queue, PermissionKey.OWNER)
    ):
        raise DomainError(
            _("%(user)s cannot own tickets in queue %(queue)s.")
            % {"user": user.get_username(), "queue": queue.full_name},
            code="invalid_owner",
        )


def _check_responsible_candidate(user: User, queue: Queue) -> None:
    if user.is_system:
        return
    if not (
        user.is_active and user.is_agent and access.can_use_queue(user, queue, PermissionKey.RO)
    ):
        raise DomainError(
            _("%(user)s cannot be responsible for tickets in queue %(queue)s.")
            % {"user": user.get_username(), "queue": queue.full_name},
            code="invalid_responsible",
        )


def _state_of_type(state_type: str) -> State:
    state = State.objects.valid().filter(state_type=state_type).order_by("pk").first()
    if state is None:
        raise DomainError(
            _("There is no valid state of type “%(type)s”.") % {"type": state_type},
            code="no_state_of_type",
        )
    return state


def default_state() -> State:
    return State.objects.valid().filter(name="new").first() or _state_of_type(StateType.NEW)


def default_priority() -> Priority:
    return Priority.objects.filter(level=3).first() or Priority.objects.valid().first()


def default_type() -> TicketType:
    found = TicketType.objects.valid().filter(is_default=True).first()
    return found or TicketType.objects.valid().order_by("pk").first()


# --- creating ------------------------------------------------------------------------------------


def create_ticket(
    *,
    title: str,
    queue: Queue,
    actor: User,
    article: ArticleInput | None = None,
    state: State | None = None,
    priority: Priority | None = None,
    ticket_type: TicketType | None = None,
    service: Service | None = None,
    sla: SLA | None = None,
    owner: User | None = None,
    responsible: User | None = None,
    lock: str = LockState.UNLOCK,
    customer_id: str = "",
    customer_user: str = "",
    pending_until: datetime | None = None,
    history_type: str | None = None,
    created_at: datetime | None = None,
) -> Ticket:
    """Create a ticket (history NewTicket) and, if given, its first article."""
    _require_queue(actor, queue, PermissionKey.CREATE)
    state = state or default_state()
    _check_pending(state, pending_until)
    if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
        raise DomainError(_("The SLA does not belong to the chosen service."), code="invalid_sla")
    owner = owner or system_user()
    _check_owner_candidate(owner, queue)
    responsible = responsible or owner
    _check_responsible_candidate(responsible, queue)
    now = created_at or timezone.now()
    with transaction.atomic():
        ticket = _insert_with_number(
            Ticket(
                title=(title or _("(no title)"))[:TITLE_MAX],
                queue=queue,
                state=state,
                priority=priority or default_priority(),
                type=ticket_type or default_type(),
                service=service,
                sla=sla,
                lock=lock,
                owner=owner,
                responsible=responsible,
                customer_id=customer_id,
                customer_user=customer_user,
                pending_until=pending_until if state.state_type in PENDING_STATE_TYPES else None,
                unlock_anchor_at=now if lock != LockState.UNLOCK else None,
                created_at=now,
                created_by=actor,
                changed_at=now,
                changed_by=actor,
            ),
            now,
        )
        _history(
            ticket,
            HistoryType.NEW_TICKET,
            actor,
            new=ticket.number,
            extra={"queue_id": queue.pk, "priority_id": ticket.priority_id, "state_id": state.pk},
        )
        if ticket.service_id:
            _history(ticket, HistoryType.SERVICE_UPDATE, actor, new=ticket.service_id)
        if ticket.sla_id:
            _history(ticket, HistoryType.SLA_UPDATE, actor, new=ticket.sla_id)
        if ticket.customer_id or ticket.customer_user:
            _history(
                ticket,
                HistoryType.CUSTOMER_UPDATE,
                actor,
                new=customer_user,
                extra={"new_customer_id": customer_id},
            )
        if article is not None:
            _add_article(
                ticket, article, actor, history_type=history_type or _first_article_history(article)
            )
        emit("TicketCreate", ticket_id=ticket.pk, actor_id=actor.pk)
    return ticket


def _insert_with_number(ticket: Ticket, now: datetime) -> Ticket:
    # The counter cannot hand out a number twice, but a Random number can collide, and an
    # operator may have reset a counter: retry on the unique constraint a few times.
    for _attempt in range(16):
        ticket.number = numbers.next_number(now)
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
            return ticket
        except IntegrityError:
            if not Ticket.objects.filter(number=ticket.number).exists():
                raise
    raise DomainError(_("Could not allocate a unique ticket number."), code="ticket_number")


def _first_article_history(article: ArticleInput) -> str:
    return {
        (Channel.EMAIL, SenderType.CUSTOMER): HistoryType.EMAIL_CUSTOMER,
        (Channel.EMAIL, SenderType.AGENT): HistoryType.EMAIL_AGENT,
        (Channel.PHONE, SenderType.CUSTOMER): HistoryType.PHONE_CALL_CUSTOMER,
        (Channel.PHONE, SenderType.AGENT): HistoryType.PHONE_CALL_AGENT,
        (Channel.WEB, SenderType.CUSTOMER): HistoryType.WEB_REQUEST_CUSTOMER,
    }.get((article.channel, article.sender_type), HistoryType.SYSTEM_REQUEST)


def _article_history(article: ArticleInput) -> str:
    return {
        (Channel.EMAIL, SenderType.CUSTOMER): HistoryType.FOLLOW_UP,
        (Channel.EMAIL, SenderType.AGENT): HistoryType.SEND_ANSWER,
        (Channel.PHONE, SenderType.CUSTOMER): HistoryType.PHONE_CALL_CUSTOMER,
        (Channel.PHONE, SenderType.AGENT): HistoryType.PHONE_CALL_AGENT,
        (Channel.WEB, SenderType.CUSTOMER): HistoryType.FOLLOW_UP,
    }.get((article.channel, article.sender_type), HistoryType.ADD_NOTE)


def add_article(
    ticket: Ticket, article: ArticleInput, *, actor: User, history_type: str | None = None
) -> Article:
    """Add an article; an internal one needs ``note``, any other ``rw``."""
    need = PermissionKey.NOTE if article.channel == Channel.INTERNAL else PermissionKey.RW
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        created = _add_article(
            locked, article, actor, history_type=history_type or _article_history(article)
        )
        _save(locked, actor, "unlock_anchor_at")
    _refresh(ticket, locked)
    return created


def _add_article(ticket: Ticket, data: ArticleInput, actor: User, *, history_type: str) -> Article:
    created_at = data.created_at or timezone.now()
    article = Article.objects.create(
        ticket=ticket,
        channel=data.channel,
        sender_type=data.sender_type,
        is_visible_for_customer=data.is_visible_for_customer,
        from_address=data.from_address,
        reply_to=data.reply_to,
        to_address=data.to_address,
        cc_address=data.cc_address,
        bcc_address=data.bcc_address,
        subject=data.subject[:1000],
        message_id=data.message_id,
        in_reply_to=data.in_reply_to,
        references=data.references,
        body=data.body,
        body_html=sanitize_html(data.body_html) if data.body_html else "",
        created_at=created_at,
        created_by=actor,
    )
    if data.raw is not None:
        ArticleRaw.objects.create(article=article, content=data.raw)
    for item in data.attachments:
        attachment = Attachment(
            article=article,
            filename=_safe_filename(item.filename),
            content_type=item.content_type or "application/octet-stream",
            content_id=item.content_id,
            disposition=item.disposition,
        )
        attachment.store(item.content, backend=settings.ATTACHMENT_STORAGE)
        attachment.save()
    _history(ticket, history_type, actor, article=article, new=article.pk)
    # A new article is unseen for everybody but its author.
    TicketFlag.objects.filter(ticket=ticket, key=TicketFlagKey.SEEN).exclude(user=actor).delete()
    if actor.is_agent:
        ArticleFlag.objects.get_or_create(article=article, user=actor, key=TicketFlagKey.SEEN)
    # The unlock timer restarts on an agent's article, and on a customer's that answers one.
    if data.sender_type == SenderType.AGENT or (
        data.sender_type == SenderType.CUSTOMER and _last_sender_was_agent(ticket, article)
    ):
        ticket.unlock_anchor_at = created_at
    emit(
        "ArticleCreate",
        ticket_id=ticket.pk,
        actor_id=actor.pk,
        article_id=article.pk,
        data={"history_type": history_type},
    )
    return article


def _last_sender_was_agent(ticket: Ticket, article: Article) -> bool:
    previous = (
        Article.objects.filter(ticket=ticket)
        .exclude(pk=article.pk)
        .exclude(sender_type=SenderType.SYSTEM)
        .order_by("-created_at", "-id")
        .values_list("sender_type", flat=True)
        .first()
    )
    return previous == SenderType.AGENT


def _safe_filename(name: str) -> str:
    cleaned = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    return cleaned[:255] or "attachment"


def sanitize_html(html: str) -> str:
    """Mail and user HTML made safe to show: no scripts, handlers, or remote tricks."""
    return nh3.clean(
        html,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )


def _refresh(stale: Ticket, fresh: Ticket) -> None:
    """Bring the caller's instance up to date after an action changed the locked copy."""
    if stale is not fresh:
        stale.refresh_from_db()


# --- changing fields ----------------------------------------------------------------------------


def move_ticket(ticket: Ticket, queue: Queue, *, actor: User) -> Ticket:
    """Move to another queue; needs ``move_into`` there. Moving always unlocks (OTRS)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.MOVE_INTO)
        _require_queue(actor, queue, PermissionKey.MOVE_INTO)
        if locked.queue_id == queue.pk:
            return locked
        old = locked.queue_id
        locked.queue = queue
        _history(locked, HistoryType.MOVE, actor, old=old, new=queue.pk)
        _unlock(locked, actor)
        _save(locked, actor, "queue", "lock")
        emit(
            "TicketQueueUpdate",
            ticket_id=locked.pk,
            actor_id=actor.pk,
            data={"old": old, "new": queue.pk},
        )
    _refresh(ticket, locked)
    return ticket


def set_state(
    ticket: Ticket, state: State, *, actor: User, pending_until: datetime | None = None
) -> Ticket:
    """Change the state; pending states need ``pending_until``; closing unlocks."""
    _check_pending(state, pending_until)
    if state.state_type == StateType.MERGED:
        raise DomainError(
            _(
                "A ticket cannot be set to the merged state directly; merge it into another "
                "ticket instead."
            ),
            code="use_merge",
        )
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        _set_state(locked, state, actor, pending_until=pending_until)
    _refresh(ticket, locked)
    return ticket


def set_pending(ticket: Ticket, state: State, until: datetime, *, actor: User) -> Ticket:
    """Set a pending state and its time."""
    if state.state_type not in PENDING_STATE_TYPES:
        raise DomainError(
            _("“%(state)s” is not a pending state.") % {"state": state.name},
            code="not_pending_state",
        )
    return set_state(ticket, state, actor=actor, pending_until=until)


def _set_state(
    ticket: Ticket, state: State, actor: User, *, pending_until: datetime | None = None
) -> None:
    fields = []
    if ticket.state_id != state.pk:
        old = ticket.state_id
        ticket.state = state
        fields.append("state")
        _history(ticket, HistoryType.STATE_UPDATE, actor, old=old, new=state.pk)
        emit(
            "TicketStateUpdate",
            ticket_id=ticket.pk,
            actor_id=actor.pk,
            data={"old": old, "new": state.pk},
        )
    new_pending = pending_until if state.state_type in PENDING_STATE_TYPES else None
    if new_pending != ticket.pending_until:
        old_pending = ticket.pending_until
        ticket.pending_until = new_pending
        fields.append("pending_until")
        _history(
            ticket,
            HistoryType.SET_PENDING_TIME,
            actor,
            old=old_pending.isoformat() if old_pending else "",
            new=new_pending.isoformat() if new_pending else "",
        )
    if state.state_type in (StateType.CLOSED, StateType.MERGED, StateType.REMOVED) and _unlock(
        ticket, actor
    ):
        fields.append("lock")
    if fields:
        _save(ticket, actor, *fields)


def set_owner(ticket: Ticket, owner: User, *, actor: User) -> Ticket:
    """Change the owner (``owner`` key); the new owner needs ``owner`` on the queue."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.OWNER)
        _set_owner(locked, owner, actor)
    _refresh(ticket, locked)
    return ticket


def _set_owner(ticket: Ticket, owner: User, actor: User) -> None:
    if ticket.owner_id == owner.pk:
        return
    _check_owner_candidate(owner, ticket.queue)
    old = ticket.owner_id
    ticket.owner = owner
    fields = ["owner"]
    _history(ticket, HistoryType.OWNER_UPDATE, actor, old=old, new=owner.pk)
    emit(
        "TicketOwnerUpdate",
        ticket_id=ticket.pk,
        actor_id=actor.pk,
        data={"old": old, "new": owner.pk},
    )
    # OTRS ResponsibleAutoSet: a ticket whose responsible is still the system user gets the
    # new owner as responsible.
    if ticket.responsible.is_system and not owner.is_system:
        _set_responsible_fields(ticket, owner, actor)
        fields.append("responsible")
    _save(ticket, actor, *fields)


def set_responsible(ticket: Ticket, responsible: User, *, actor: User) -> Ticket:
    """Change the responsible agent (needs ``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if locked.responsible_id != responsible.pk:
            _check_responsible_candidate(responsible, locked.queue)
            _set_responsible_fields(locked, responsible, actor)
            _save(locked, actor, "responsible")
    _refresh(ticket, locked)
    return ticket


def _set_responsible_fields(ticket: Ticket, responsible: User, actor: User) -> None:
    old = ticket.responsible_id
    ticket.responsible = responsible
    _history(ticket, HistoryType.RESPONSIBLE_UPDATE, actor, old=old, new=responsible.pk)
    emit(
        "TicketResponsibleUpdate",
        ticket_id=ticket.pk,
        actor_id=actor.pk,
        data={"old": old, "new": responsible.pk},
    )


def lock_ticket(ticket: Ticket, *, actor: User) -> Ticket:
    """Lock the ticket to the actor, who becomes its owner (needs ``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if locked.lock != LockState.UNLOCK and locked.owner_id != actor.pk:
            raise DomainError(
                _("Ticket %(number)s is locked by %(owner)s.")
                % {"number": locked.number, "owner": locked.owner.get_username()},
                code="locked_by_other",
            )
        if locked.lock == LockState.LOCK and locked.owner_id == actor.pk:
            return locked
        old = locked.lock
        locked.lock = LockState.LOCK
        locked.unlock_anchor_at = timezone.now()
        _history(locked, HistoryType.LOCK, actor, old=old, new=LockState.LOCK)
        emit(
            "TicketLockUpdate",
            ticket_id=locked.pk,
            actor_id=actor.pk,
            data={"old": old, "new": LockState.LOCK},
        )
        _save(locked, actor, "lock", "unlock_anchor_at")
        _set_owner(locked, actor, actor)
    _refresh(ticket, locked)
    return ticket


def unlock_ticket(ticket: Ticket, *, actor: User) -> Ticket:
    """Release the lock (the owner, or an agent with ``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if _unlock(locked, actor):
            emit(
                "TicketLockUpdate",
                ticket_id=locked.pk,
                actor_id=actor.pk,
                data={"new": LockState.UNLOCK},
            )
            _save(locked, actor, "lock")
    _refresh(ticket, locked)
    return ticket


def set_priority(ticket: Ticket, priority: Priority, *, actor: User) -> Ticket:
    """Change the priority (``priority`` key)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.PRIORITY)
        if locked.priority_id != priority.pk:
            old = locked.priority_id
            locked.priority = priority
            _history(locked, HistoryType.PRIORITY_UPDATE, actor, old=old, new=priority.pk)
            emit(
                "TicketPriorityUpdate",
                ticket_id=locked.pk,
                actor_id=actor.pk,
                data={"old": old, "new": priority.pk},
            )
            _save(locked, actor, "priority")
    _refresh(ticket, locked)
    return ticket


def set_title(ticket: Ticket, title: str, *, actor: User) -> Ticket:
    """Change the title (``rw``)."""
    title = title.strip()[:TITLE_MAX]
    if not title:
        raise DomainError(_("A ticket needs a title."), code="title_required")
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if locked.title != title:
            old = locked.title
            locked.title = title
            _history(locked, HistoryType.TITLE_UPDATE, actor, old=old, new=title)
            _save(locked, actor, "title")
    _refresh(ticket, locked)
    return ticket


def set_type(ticket: Ticket, ticket_type: TicketType, *, actor: User) -> Ticket:
    """Change the ticket type (``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if locked.type_id != ticket_type.pk:
            old = locked.type_id
            locked.type = ticket_type
            _history(locked, HistoryType.TYPE_UPDATE, actor, old=old, new=ticket_type.pk)
            _save(locked, actor, "type")
    _refresh(ticket, locked)
    return ticket


def set_service(ticket: Ticket, service: Service | None, sla: SLA | None, *, actor: User) -> Ticket:
    """Set service and SLA together (``rw``); the SLA must belong to the service."""
    if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
        raise DomainError(_("The SLA does not belong to the chosen service."), code="invalid_sla")
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        fields = []
        new_service = service.pk if service else None
        if locked.service_id != new_service:
            _history(
                locked,
                HistoryType.SERVICE_UPDATE,
                actor,
                old=locked.service_id or "",
                new=new_service or "",
            )
            locked.service = service
            fields.append("service")
        new_sla = sla.pk if sla else None
        if locked.sla_id != new_sla:
            _history(
                locked, HistoryType.SLA_UPDATE, actor, old=locked.sla_id or "", new=new_sla or ""
            )
            locked.sla = sla
            fields.append("sla")
        if fields:
            _save(locked, actor, *fields)
    _refresh(ticket, locked)
    return ticket


def set_customer(ticket: Ticket, *, customer_id: str, customer_user: str, actor: User) -> Ticket:
    """Change the customer id and customer user (``rw``)."""
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        if (locked.customer_id, locked.customer_user) != (customer_id, customer_user):
            _history(
                locked,
                HistoryType.CUSTOMER_UPDATE,
                actor,
                old=locked.customer_user,
                new=customer_user,
                extra={"old_customer_id": locked.customer_id, "new_customer_id": customer_id},
            )
            locked.customer_id = customer_id
            locked.customer_user = customer_user
            emit("TicketCustomerUpdate", ticket_id=locked.pk, actor_id=actor.pk)
            _save(locked, actor, "customer_id", "customer_user")
    _refresh(ticket, locked)
    return ticket


# --- links and watchers --------------------------------------------------------------------------


def _link_between(a: Ticket, b: Ticket) -> TicketLink | None:
    return TicketLink.objects.filter(Q(source=a, target=b) | Q(source=b, target=a)).first()


def link_tickets(
    source: Ticket, target: Ticket, link_type: str = LinkType.NORMAL, *, actor: User
) -> TicketLink:
    """Link two tickets (``rw`` on the source, ``ro`` on the target). For parent/child the
    source is the parent. A duplicate is a no-op; another link type between the same two
    tickets, or the reversed parent/child link, is refused."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be linked to itself."), code="link_self")
    with transaction.atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        _require(actor, src, PermissionKey.RW)
        _require(actor, tgt, PermissionKey.RO)
        existing = _link_between(src, tgt)
        if existing is not None:
            same_direction = existing.source_id == src.pk
            if existing.link_type == link_type and (same_direction or link_type == LinkType.NORMAL):
                return existing
            raise DomainError(
                _("Tickets %(a)s and %(b)s are already linked in another way.")
                % {"a": src.number, "b": tgt.number},
                code="link_conflict",
            )
        return _create_link(src, tgt, link_type, actor)


def _create_link(src: Ticket, tgt: Ticket, link_type: str, actor: User) -> TicketLink:
    link = TicketLink.objects.create(source=src, target=tgt, link_type=link_type, created_by=actor)
    for this, other, role in ((src, tgt, "source"), (tgt, src, "target")):
        _history(
            this,
            HistoryType.TICKET_LINK_ADD,
            actor,
            new=other.pk,
            extra={"number": other.number, "link_type": link_type, "role": role},
        )
    return link


def unlink_tickets(source: Ticket, target: Ticket, *, actor: User) -> None:
    """Remove the link between two tickets, whichever its direction (``rw`` on the source)."""
    with transaction.atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        _require(actor, src, PermissionKey.RW)
        link = _link_between(src, tgt)
        if link is None:
            return
        link_type = link.link_type
        link.delete()
        for this, other in ((src, tgt), (tgt, src)):
            _history(
                this,
                HistoryType.TICKET_LINK_DELETE,
                actor,
                old=other.pk,
                extra={"number": other.number, "link_type": link_type},
            )


def watch_ticket(ticket: Ticket, *, actor: User, user: User | None = None) -> TicketWatcher:
    """Subscribe ``user`` (default: the actor) to the ticket; the watcher needs ``ro``."""
    user = user or actor
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RO)
        if not user.is_agent or not access.can(user, locked, PermissionKey.RO):
            raise DomainError(
                _("%(user)s may not read ticket %(number)s.")
                % {"user": user.get_username(), "number": locked.number},
                code="permission_denied",
            )
        watcher, created = TicketWatcher.objects.get_or_create(ticket=locked, user=user)
        if created:
            _history(locked, HistoryType.SUBSCRIBE, actor, new=user.pk)
            emit(
                "TicketSubscribe", ticket_id=locked.pk, actor_id=actor.pk, data={"user_id": user.pk}
            )
    return watcher


def unwatch_ticket(ticket: Ticket, *, actor: User, user: User | None = None) -> None:
    """Unsubscribe ``user`` (default: the actor); others' subscriptions need ``rw``."""
    user = user or actor
    with transaction.atomic():
        locked = _locked(ticket)
        if user.pk != actor.pk:
            _require(actor, locked, PermissionKey.RW)
        deleted, _rows = TicketWatcher.objects.filter(ticket=locked, user=user).delete()
        if deleted:
            _history(locked, HistoryType.UNSUBSCRIBE, actor, old=user.pk)
            emit(
                "TicketUnsubscribe",
                ticket_id=locked.pk,
                actor_id=actor.pk,
                data={"user_id": user.pk},
            )


def mark_seen(ticket: Ticket, *, user: User) -> None:
    """Mark every article and the ticket as seen by ``user``."""
    with transaction.atomic():
        unseen = (
            Article.objects.filter(ticket=ticket)
            .exclude(flags__user=user, flags__key=TicketFlagKey.SEEN)
            .values_list("pk", flat=True)
        )
        ArticleFlag.objects.bulk_create(
            [ArticleFlag(article_id=pk, user=user, key=TicketFlagKey.SEEN) for pk in unseen],
            ignore_conflicts=True,
        )
        TicketFlag.objects.get_or_create(ticket=ticket, user=user, key=TicketFlagKey.SEEN)


# --- merge and unmerge ---------------------------------------------------------------------------


def resolve_number(number: str) -> Ticket | None:
    """The ticket a number refers to, following merges (at most ten hops, as OTRS)."""
    ticket = Ticket.objects.filter(number=number).first()
    hops = 0
    while ticket is not None and ticket.merged_into_id is not None:
        hops += 1
        if hops > MAX_MERGE_HOPS:
            return None
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def merge_tickets(source: Ticket, target: Ticket, *, actor: User) -> MergeRecord:
    """Merge ``source`` into ``target`` (spec section 8): articles, article history, links
    and watchers move; ``source`` becomes "merged", a child of ``target``, and keeps a note.
    What moved is recorded so that :func:`unmerge_ticket` can put it back."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be merged into itself."), code="merge_self")
    merged_state = _state_of_type(StateType.MERGED)
    with transaction.atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        _require(actor, src, PermissionKey.RW)
        _require(actor, tgt, PermissionKey.RW)
        if src.state.state_type == StateType.MERGED:
            raise DomainError(
                _("Ticket %(number)s is already merged.") % {"number": src.number},
                code="merge_source_merged",
            )
        if tgt.state.state_type in UNMERGEABLE_STATE_TYPES:
            raise DomainError(
                _("Ticket %(number)s is merged or removed; nothing can be merged into it.")
                % {"number": tgt.number},
                code="merge_target_merged",
            )
        record = MergeRecord(
            source=src, target=tgt, previous_state_id=src.state_id, merged_by=actor
        )

        article_ids = list(Article.objects.filter(ticket=src).values_list("pk", flat=True))
        Article.objects.filter(pk__in=article_ids).update(ticket=tgt)
        history_ids = list(
            TicketHistory.objects.filter(ticket=src, article__isnull=False).values_list(
                "pk", flat=True
            )
        )
        TicketHistory.objects.filter(pk__in=history_ids).update(ticket=tgt)
        record.article_ids, record.history_ids = article_ids, history_ids

        watcher_ids = list(
            TicketWatcher.objects.filter(ticket=src).values_list("user_id", flat=True)
        )
        already = set(TicketWatcher.objects.filter(ticket=tgt).values_list("user_id", flat=True))
        added = [uid for uid in watcher_ids if uid not in already]
        TicketWatcher.objects.bulk_create([TicketWatcher(ticket=tgt, user_id=u) for u in added])
        TicketWatcher.objects.filter(ticket=src).delete()
        record.watcher_user_ids, record.added_watcher_ids = watcher_ids, added

        record.links_before, record.repointed_link_ids = _repoint_links(src, tgt)

        with translation.override(actor.language or settings.LANGUAGE_CODE):
            note = ArticleInput(
                channel=Channel.INTERNAL,
                sender_type=SenderType.AGENT,
                is_visible_for_customer=True,
                subject=_("Ticket Merged"),
                body=_("Ticket %(source)s merged into ticket %(target)s.")
                % {"source": src.number, "target": tgt.number},
            )
        _add_article(src, note, actor, history_type=HistoryType.ADD_NOTE)
        merged = {"source_number": src.number, "target_number": tgt.number}
        _history(src, HistoryType.MERGED, actor, old=src.pk, new=tgt.pk, extra=merged)
        _history(tgt, HistoryType.MERGED, actor, old=src.pk, new=tgt.pk, extra=merged)
        _create_link(tgt, src, LinkType.PARENT_CHILD, actor)

        src.merged_into = tgt
        _set_state(src, merged_state, actor)
        _save(src, actor, "merged_into", "unlock_anchor_at")
        TicketFlag.objects.filter(ticket=tgt, key=TicketFlagKey.SEEN).delete()
        _save(tgt, actor)
        record.save()
        emit("TicketMerge", ticket_id=src.pk, actor_id=actor.pk, data={"target_id": tgt.pk})
    _refresh(source, src)
    _refresh(target, tgt)
    return record


def _repoint_links(src: Ticket, tgt: Ticket) -> tuple[list, list[int]]:
    """Move the source's links to the target; drop duplicates and would-be self links."""
    links = list(TicketLink.objects.filter(Q(source=src) | Q(target=src)))
    before = [[link.source_id, link.target_id, link.link_type] for link in links]
    repointed = []
    for link in links:
        other = link.target_id if link.source_id == src.pk else link.source_id
        if (
            other == tgt.pk
            or TicketLink.objects.filter(
                Q(source=tgt, target_id=other) | Q(source_id=other, target=tgt)
            ).exists()
        ):
            link.delete()
            continue
        if link.source_id == src.pk:
            link.source = tgt
        else:
            link.target = tgt
        link.save(update_fields=["source", "target"])
        repointed.append(link.pk)
    return before, repointed


def unmerge_ticket(source: Ticket, *, actor: User) -> Ticket:
    """Undo the merge of ``source``: its articles, article history, links, watchers and
    previous state come back; the merge link goes; history Unmerged on both tickets.

    Articles that have travelled on through a later merge of the target are fetched from
    wherever the target's merge chain ends; anything added to the target since stays there.
    """
    record = (
        MergeRecord.objects.filter(source=source, unmerged_at__isnull=True)
        .order_by("-merged_at", "-id")
        .first()
    )
    if record is None or source.merged_into_id is None:
        raise DomainError(
            _("Ticket %(number)s is not merged.") % {"number": source.number},
            code="not_merged",
        )
    chain = _merge_chain(record.target_id)
    with transaction.atomic():
        tickets = _locked_many([source.pk, *chain])
        src, tgt = tickets[source.pk], tickets[record.target_id]
        _require(actor, src, PermissionKey.RW)
        _require(actor, tgt, PermissionKey.RW)
        if src.merged_into_id != record.target_id:
            raise DomainError(_("The ticket changed meanwhile; try again."), code="stale")

        Article.objects.filter(pk__in=record.article_ids, ticket_id__in=chain).update(ticket=src)
        TicketHistory.objects.filter(pk__in=record.history_ids, ticket_id__in=chain).update(
            ticket=src
        )
        TicketWatcher.objects.filter(ticket=tgt, user_id__in=record.added_watcher_ids).delete()
        TicketWatcher.objects.bulk_create(
            [TicketWatcher(ticket=src, user_id=u) for u in record.watcher_user_ids],
            ignore_conflicts=True,
        )

        merge_link = TicketLink.objects.filter(
            source=tgt, target=src, link_type=LinkType.PARENT_CHILD
        )
        if merge_link.delete()[0]:
            for this, other in ((tgt, src), (src, tgt)):
                _history(
                    this,
                    HistoryType.TICKET_LINK_DELETE,
                    actor,
                    old=other.pk,
                    extra={"number": other.number, "link_type": LinkType.PARENT_CHILD},
                )
        TicketLink.objects.filter(pk__in=record.repointed_link_ids).delete()
        existing_ids = set(
            Ticket.objects.filter(
                pk__in={pk for link in record.links_before for pk in link[:2]}
            ).values_list("pk", flat=True)
        )
        for link_source, link_target, link_type in record.links_before:
            if {link_source, link_target} <= existing_ids and not TicketLink.objects.filter(
                Q(source_id=link_source, target_id=link_target)
                | Q(source_id=link_target, target_id=link_source)
            ).exists():
                TicketLink.objects.create(
                    source_id=link_source,
                    target_id=link_target,
                    link_type=link_type,
                    created_by=actor,
                )

        unmerged = {"source_number": src.number, "target_number": tgt.number}
        _history(src, HistoryType.UNMERGED, actor, old=tgt.pk, new=src.pk, extra=unmerged)
        _history(tgt, HistoryType.UNMERGED, actor, old=tgt.pk, new=src.pk, extra=unmerged)
        src.merged_into = None
        _save(src, actor, "merged_into")
        _set_state(src, record.previous_state, actor)
        TicketFlag.objects.filter(ticket__in=[src, tgt], key=TicketFlagKey.SEEN).delete()
        _save(tgt, actor)
        record.unmerged_at = timezone.now()
        record.save(update_fields=["unmerged_at"])
        emit("TicketUnmerge", ticket_id=src.pk, actor_id=actor.pk, data={"target_id": tgt.pk})
    _refresh(source, src)
    return source


def _merge_chain(ticket_id: int) -> list[int]:
    """``ticket_id`` and the tickets it was merged into, in order."""
    chain = [ticket_id]
    current = Ticket.objects.filter(pk=ticket_id).values_list("merged_into_id", flat=True).first()
    while current is not None and current not in chain and len(chain) <= MAX_MERGE_HOPS:
        chain.append(current)
        current = Ticket.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
    return chain
