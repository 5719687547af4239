"""Creating tickets and adding articles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.bulk import insert, insert_unless_taken
from otrs.errors import DomainError, ErrorCode
from otrs.html import sanitize_html
from otrs.permissions import PermissionKey

from .. import generated, mailtexts, numbers, ticket_counts
from ..choices import (
    PENDING_STATE_TYPES,
    AutoResponseType,
    Channel,
    HistoryType,
    LockState,
    SenderType,
    TicketFlagKey,
)
from ..events import TicketEvent
from ..models import (
    SLA,
    Article,
    ArticleFlag,
    ArticleRaw,
    Attachment,
    Priority,
    Queue,
    Service,
    State,
    Ticket,
    TicketFlag,
    TicketType,
    TimeAccounting,
    message_id_hash,
)
from . import _customer
from ._base import (
    TITLE_MAX,
    ArticleInput,
    _check_pending,
    _locked,
    _refresh,
    _require,
    _require_queue,
    _save,
    atomic,
    check_owner_candidate,
    check_responsible_candidate,
    default_priority,
    default_state,
    default_type,
)
from .custom_fields import apply_article_field_values_in_lock, apply_field_values_in_lock
from .history import batched_history, record_history


class NewTicketOptions(TypedDict, total=False):
    """What a new ticket may be given besides its title, queue and actor: the keyword
    arguments of :func:`create_ticket_with_article`, which :func:`create_ticket` passes on."""

    article: ArticleInput | None
    state: State | None
    priority: Priority | None
    ticket_type: TicketType | None
    service: Service | None
    sla: SLA | None
    owner: User | None
    responsible: User | None
    lock: str
    customer_id: str
    customer_user: str
    pending_until: datetime | None
    history_type: str | None
    created_at: datetime | None
    field_values: Mapping[str, Any] | None
    article_field_values: Mapping[str, Any] | None
    expand_tags: bool


def create_ticket(
    *, title: str, queue: Queue, actor: User, **options: Unpack[NewTicketOptions]
) -> Ticket:
    """Create a ticket (history NewTicket) and, if given, its first article; ``field_values``
    sets custom fields (``{name: value}``, see :mod:`.custom_fields`) in the same transaction,
    ``article_field_values`` the first article's. ``expand_tags``: the first article's
    ``<OTRS_*>`` tags (of the text modules the agent inserted on the new-ticket screen) are
    filled in for the new ticket before it is stored."""
    return create_ticket_with_article(title=title, queue=queue, actor=actor, **options)[0]


def create_ticket_with_article(
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
    field_values: Mapping[str, Any] | None = None,
    article_field_values: Mapping[str, Any] | None = None,
    expand_tags: bool = False,
) -> tuple[Ticket, Article | None]:
    """:func:`create_ticket`, returning the first article too (None without one)."""
    _require_queue(actor, queue, PermissionKey.CREATE)
    if actor.is_customer:
        _customer.check_customer_ticket(
            actor,
            article=article,
            customer_user=customer_user,
            customer_id=customer_id,
            ticket_type=ticket_type,
            service=service,
            sla=sla,
            state=state,
            owner=owner,
            responsible=responsible,
            lock=lock,
            pending_until=pending_until,
            created_at=created_at,
        )
    state = state or default_state()
    _check_pending(state, pending_until)
    if sla is not None and (service is None or not sla.services.filter(pk=service.pk).exists()):
        raise DomainError(
            _("The SLA does not belong to the chosen service."), code=ErrorCode.INVALID_SLA
        )
    owner = owner or (actor if actor.is_system else system_user())
    check_owner_candidate(owner, queue)
    responsible = responsible or owner
    check_responsible_candidate(responsible, queue)
    now = created_at or timezone.now()
    # The history rows (and their events) go in with one insert each at the end.
    with atomic(), batched_history():
        ticket = _insert_with_number(
            Ticket(
                title=(title or generated.UNTITLED)[:TITLE_MAX],
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
        record_history(
            ticket,
            HistoryType.NEW_TICKET,
            actor,
            at=now,
            new=ticket.number,
            extra={"queue_id": queue.pk, "priority_id": ticket.priority_id, "state_id": state.pk},
        )
        if ticket.service_id:
            record_history(ticket, HistoryType.SERVICE_UPDATE, actor, at=now, new=ticket.service_id)
        if ticket.sla_id:
            record_history(ticket, HistoryType.SLA_UPDATE, actor, at=now, new=ticket.sla_id)
        if ticket.pending_until:
            record_history(
                ticket,
                HistoryType.SET_PENDING_TIME,
                actor,
                at=now,
                new=ticket.pending_until.isoformat(),
            )
        if ticket.customer_id or ticket.customer_user:
            record_history(
                ticket,
                HistoryType.CUSTOMER_UPDATE,
                actor,
                at=now,
                new=customer_user,
                extra={"new_customer_id": customer_id},
            )
        if field_values:
            apply_field_values_in_lock(ticket, field_values, actor=actor)
        created = None
        if article is not None:
            # The first article is as old as the ticket (and so is its history row).
            first = replace(article, created_at=article.created_at or now)
            if expand_tags:
                body = mailtexts.render(first.body, ticket=ticket, agent=actor)
                first = replace(first, body=body)
            created = _add_article(
                ticket,
                first,
                actor,
                history_type=history_type or _first_article_history(article),
                first=True,
            )
            if article_field_values:
                apply_article_field_values_in_lock(
                    ticket, created, article_field_values, actor=actor
                )
    return ticket, created


def create_phone_ticket(*, actor: User, **kwargs) -> Ticket:
    """An agent's record of a customer's call or request: :func:`create_ticket`, then the
    queue's auto reply to the customer's address (OTRS AutoResponseForWebTickets, on by
    default), both in one transaction."""
    # Imported here: the auto response is itself sent through the actions (autoresponses
    # imports them), so this call goes against the grain; it becomes an event handler with the
    # durable events (issue 9, item 1).
    from ..autoresponses import send_auto_response

    with transaction.atomic():
        ticket = create_ticket(actor=actor, **kwargs)
        first = Article.objects.filter(ticket=ticket).order_by("id").first()
        if first is not None and first.sender_type == SenderType.CUSTOMER:
            send_auto_response(
                ticket=ticket,
                article=first,
                response_type=AutoResponseType.AUTO_REPLY,
                loop=False,
            )
    return ticket


def _insert_with_number(ticket: Ticket, now: datetime) -> Ticket:
    # The counter cannot hand out a number twice, but a Random number can collide, and an
    # operator may have reset a counter: retry on the unique constraint a few times.
    for _attempt in range(16):
        ticket.number = numbers.next_number(now)
        # PostgreSQL and SQLite: one INSERT … ON CONFLICT (number) DO NOTHING, no savepoint
        # (two statements less per new ticket); elsewhere a savepoint to retry in.
        inserted = insert_unless_taken(ticket, "number")
        if inserted:
            ticket_counts.added(ticket)
            return ticket
        if inserted is False:
            continue
        try:
            with transaction.atomic():
                ticket.save(force_insert=True)
            ticket_counts.added(ticket)
            return ticket
        except IntegrityError:
            if not Ticket.objects.filter(number=ticket.number).exists():
                raise
    raise DomainError(_("Could not allocate a unique ticket number."), code=ErrorCode.TICKET_NUMBER)


def _first_article_history(article: ArticleInput) -> str:
    by_kind: dict[tuple[str, str], str] = {
        (Channel.EMAIL, SenderType.CUSTOMER): HistoryType.EMAIL_CUSTOMER,
        (Channel.EMAIL, SenderType.AGENT): HistoryType.EMAIL_AGENT,
        (Channel.PHONE, SenderType.CUSTOMER): HistoryType.PHONE_CALL_CUSTOMER,
        (Channel.PHONE, SenderType.AGENT): HistoryType.PHONE_CALL_AGENT,
        (Channel.WEB, SenderType.CUSTOMER): HistoryType.WEB_REQUEST_CUSTOMER,
    }
    return by_kind.get((article.channel, article.sender_type), HistoryType.SYSTEM_REQUEST)


def _article_history(article: ArticleInput) -> str:
    by_kind: dict[tuple[str, str], str] = {
        (Channel.EMAIL, SenderType.CUSTOMER): HistoryType.FOLLOW_UP,
        (Channel.EMAIL, SenderType.AGENT): HistoryType.SEND_ANSWER,
        (Channel.PHONE, SenderType.CUSTOMER): HistoryType.PHONE_CALL_CUSTOMER,
        (Channel.PHONE, SenderType.AGENT): HistoryType.PHONE_CALL_AGENT,
        (Channel.WEB, SenderType.CUSTOMER): HistoryType.FOLLOW_UP,
    }
    return by_kind.get((article.channel, article.sender_type), HistoryType.ADD_NOTE)


def add_article(
    ticket: Ticket,
    article: ArticleInput,
    *,
    actor: User,
    history_type: str | None = None,
    field_values: Mapping[str, Any] | None = None,
    article_field_values: Mapping[str, Any] | None = None,
) -> Article:
    """Add an article; an internal one needs ``note``, any other ``rw``. A customer adds
    their own web messages to their tickets (see ``_customer``). ``field_values`` sets the
    ticket's custom fields with it, ``article_field_values`` the new article's (all or
    nothing)."""
    need = PermissionKey.NOTE if article.channel == Channel.INTERNAL else PermissionKey.RW
    if actor.is_customer:
        _customer.check_customer_article(article)
        need = PermissionKey.NOTE
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, need)
        if actor.is_customer:
            _customer.check_customer_follow_up(locked)
        created = _add_article(
            locked, article, actor, history_type=history_type or _article_history(article)
        )
        if field_values:
            apply_field_values_in_lock(locked, field_values, actor=actor)
        if article_field_values:
            apply_article_field_values_in_lock(locked, created, article_field_values, actor=actor)
        _save(locked, actor, "unlock_anchor_at")
    _refresh(ticket, locked)
    return created


def _add_article(
    ticket: Ticket,
    data: ArticleInput,
    actor: User,
    *,
    history_type: str,
    first: bool = False,
    history_extra: dict | None = None,
) -> Article:
    """Store an article. ``first``: the ticket's first article, in the transaction that made
    the ticket (nobody can have seen it, and no earlier article can be answered).
    ``history_extra``: raw values the history row keeps beside the article's id."""
    created_at = data.created_at or timezone.now()
    article = Article(
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
    # What Article.save() adds, then one hand-built insert (otrs.bulk; no signals on articles).
    article.message_id_md5 = message_id_hash(article.message_id) if article.message_id else ""
    if data.raw is not None:
        ArticleRaw.objects.put_with(article, data.raw)  # both rows in one statement
    else:
        insert(Article, [article])
    attachments = []
    for item in data.attachments:
        attachment = Attachment(
            article=article,
            filename=_safe_filename(item.filename),
            content_type=item.content_type or "application/octet-stream",
            content_id=item.content_id,
            disposition=item.disposition,
        )
        attachment.store(
            item.content,
            backend=settings.ATTACHMENT_STORAGE,
            sha256=item.sha256,
            stored=item.stored,
        )
        attachments.append(attachment)
    # One statement for all of them (no signals or save() of their own on attachments).
    insert(Attachment, attachments)
    record_history(
        ticket,
        history_type,
        actor,
        article=article,
        new=article.pk,
        extra=history_extra,
        at=created_at,
        event=TicketEvent.ARTICLE_CREATE,
    )
    if data.time_units:
        _account_time(ticket, article, data.time_units, actor, created_at)
    # A new article is unseen for everybody but its author.
    if not first:
        _forget_seen(ticket, actor)
    if actor.is_agent:
        ArticleFlag.objects.get_or_create(article=article, user=actor, key=TicketFlagKey.SEEN)
    # The unlock timer restarts on an agent's article, and on a customer's that answers one.
    if data.sender_type == SenderType.AGENT or (
        data.sender_type == SenderType.CUSTOMER
        and not first
        and _last_sender_was_agent(ticket, article)
    ):
        ticket.unlock_anchor_at = created_at
    return article


def _forget_seen(ticket: Ticket, actor: User) -> None:
    """Drop every "seen" flag on ``ticket`` but ``actor``'s: one hand-built ``DELETE`` (no
    rows refer to a flag and no signals listen to it, as ``QuerySet.delete``'s fast path
    finds; building that query cost more than the statement, on every follow-up)."""
    quote = connection.ops.quote_name
    table = quote(TicketFlag._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {quote('ticket_id')} = %s"  # noqa: S608
            f" AND {quote('key')} = %s AND {quote('user_id')} <> %s",
            [ticket.pk, str(TicketFlagKey.SEEN), actor.pk],
        )


def _account_time(
    ticket: Ticket, article: Article, units: Decimal, actor: User, at: datetime
) -> None:
    """Store time spent with the article: history TimeAccounting, event TicketAccountTime."""
    if not actor.is_agent or units < 0 or units >= Decimal("100000000"):
        raise DomainError(
            _("Time units must be a number from 0 to 99,999,999."),
            code=ErrorCode.INVALID_TIME_UNITS,
        )
    TimeAccounting.objects.create(
        ticket=ticket, article=article, time_units=units, created_at=at, created_by=actor
    )
    record_history(
        ticket, HistoryType.TIME_ACCOUNTING, actor, article=article, new=str(units), at=at
    )


def _last_sender_was_agent(ticket: Ticket, article: Article) -> bool:
    """Whether the ticket's latest article before ``article`` (system articles aside) came
    from an agent. Asked for every customer follow-up: one hand-written statement (the
    queryset's compiling cost more than the query)."""
    with connection.cursor() as cursor:
        params: list[int | str] = [ticket.pk, article.pk, str(SenderType.SYSTEM)]
        cursor.execute(_last_sender_sql(connection.vendor), params)
        previous = cursor.fetchone()
    return previous is not None and previous[0] == SenderType.AGENT


@cache
def _last_sender_sql(vendor: str) -> str:
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field = Article._meta.get_field(name)
        assert isinstance(field, Field) and field.column  # a column, not a reverse relation
        return quote(field.column)

    return (
        f"SELECT {column('sender_type')} FROM {quote(Article._meta.db_table)}"  # noqa: S608
        f" WHERE {column('ticket')} = %s AND {column('id')} <> %s"
        f" AND {column('sender_type')} <> %s"
        f" ORDER BY {column('created_at')} DESC, {column('id')} DESC LIMIT 1"
    )


def _safe_filename(name: str) -> str:
    cleaned = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "").strip()
    return cleaned[:255] or "attachment"
