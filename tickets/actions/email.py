"""Sending mail from a ticket: agents' answers and forwards, new email tickets, and what the
system writes (auto responses); and recording how the delivery went.

A sent mail is an Email article whose raw source is exactly the bytes that go out. The article
and the queued message are written in the caller's transaction; the daemon sends only after
the commit (:func:`otrs.mail.outbound.enqueue`), so a refused or rolled-back change sends
nothing, and a mail server that is down delays the mail but loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from email.utils import getaddresses

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.errors import DomainError, ErrorCode
from otrs.mail.hooks import DeliveryReport
from otrs.mail.models import OutboundKind, OutboundStatus
from otrs.mail.outbound import (
    LOOP_HEADERS,
    addresses_of,
    build_message,
    format_address,
    new_message_id,
)
from otrs.permissions import PermissionKey

from .. import events, mailtexts
from ..choices import Channel, HistoryType, SenderType
from ..deliveries import enqueue, link_copy
from ..events import TicketEvent
from ..models import Article, ArticleRaw, MailDelivery, Queue, SystemAddress, Ticket
from ..subjects import clean_ticket_subject
from ._base import ArticleInput, _locked, _refresh, _require, _save
from .articles import _add_article, _safe_filename, create_ticket
from .history import record_history

# Mail that nobody typed: it carries the loop headers so that no other system answers it
# automatically (spec 3.8).
AUTOMATIC_KINDS = frozenset(
    {
        OutboundKind.AUTO_RESPONSE,
        OutboundKind.AGENT_NOTIFICATION,
        OutboundKind.CUSTOMER_NOTIFICATION,
        OutboundKind.SYSTEM,
    }
)


def sender_of(queue: Queue) -> str:
    """``"Display Name" <address>`` of the queue's system address; the configured
    notification sender when the queue has none (or an invalid one)."""
    address = queue.system_address
    if address is not None and address.is_valid:
        return format_address(address.email, address.display_name)
    return settings.NOTIFICATION_FROM


def system_addresses() -> set[str]:
    """Every valid system address, lower case: ours, never a customer's."""
    return {e.lower() for e in SystemAddress.objects.valid().values_list("email", flat=True)}


def address_list(value: str) -> str:
    """An address header value written out again: one ``Name <address>`` per address, names
    on one line, internationalised domains in their ASCII form (IDNA), which every mail
    server takes. Entries without an address are dropped."""
    entries = []
    for name, address in getaddresses([value]) if value else []:
        local, at, domain = address.strip().rpartition("@")
        if not (local and at and domain):
            continue
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise DomainError(
                _("“%(address)s” is not a valid email address.") % {"address": address},
                code=ErrorCode.INVALID_ADDRESS,
            ) from None
        entries.append(format_address(f"{local}@{domain}", _one_line(name)))
    return ", ".join(entries)


def _one_line(value: str) -> str:
    """A header value never spans lines (nor smuggles in another header)."""
    return " ".join((value or "").split())


def new_ticket_subject(subject: str, number: str) -> str:
    """OTRS TicketSubjectBuild, type "New": ``[Ticket#<n>] <cleaned subject>``."""
    cleaned = clean_ticket_subject(subject, number)
    return f"[{settings.TICKET_HOOK}{number}] {cleaned}".rstrip()


def send_email(
    ticket: Ticket,
    article: ArticleInput,
    *,
    actor: User,
    history_type: str | None = None,
    kind: str = OutboundKind.ARTICLE,
    extra_headers: dict[str, str] | None = None,
    bcc: Iterable[str] = (),
    idempotency_key: str | None = None,
) -> Article:
    """Write ``article`` as a mail from the ticket, store it and queue it for sending.

    Needs ``rw`` (the system user is trusted). From is the queue's system address unless the
    article names one; To and Cc come from the article; Bcc (the article's and ``bcc``) is
    only in the envelope. The Message-ID is new unless given; In-Reply-To and References are
    the article's. History: SendAnswer unless ``history_type`` says otherwise (Forward,
    SendAutoReply ...). Automatic kinds carry the loop headers. ``idempotency_key`` names the
    queued message (see :func:`otrs.mail.outbound.enqueue`) for callers that may run twice.
    """
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        created = _send(
            locked,
            article,
            actor,
            history_type=history_type or HistoryType.SEND_ANSWER,
            kind=kind,
            extra_headers=extra_headers,
            bcc=bcc,
            idempotency_key=idempotency_key,
        )
        _save(locked, actor, "unlock_anchor_at")
    _refresh(ticket, locked)
    return created


def create_email_ticket(
    *,
    title: str,
    queue: Queue,
    actor: User,
    article: ArticleInput,
    bcc: Iterable[str] = (),
    expand_tags: bool = False,
    **ticket_fields,
) -> Ticket:
    """The agent's new email ticket (OTRS AgentTicketEmail): the ticket and its first
    article, a mail to the customer, in one transaction. Needs ``create`` on the queue, as
    :func:`~tickets.actions.create_ticket`; the subject gets the new ticket's number.
    ``expand_tags``: the body's ``<OTRS_*>`` tags (of the queue's salutation, signature and
    template the form started with) are filled in for the new ticket before it is sent.
    History: NewTicket, then EmailAgent."""
    with transaction.atomic():
        ticket = create_ticket(title=title, queue=queue, actor=actor, **ticket_fields)
        locked = _locked(ticket)
        if expand_tags:
            body = mailtexts.render(article.body, ticket=locked, agent=actor)
            article = replace(article, body=body)
        first = replace(
            article,
            subject=new_ticket_subject(article.subject or title, locked.number),
            created_at=article.created_at or locked.created_at,
        )
        _send(
            locked,
            first,
            actor,
            history_type=HistoryType.EMAIL_AGENT,
            kind=OutboundKind.ARTICLE,
            extra_headers=None,
            bcc=bcc,
        )
        _save(locked, actor, "unlock_anchor_at")
    _refresh(ticket, locked)
    return ticket


def _send(
    ticket: Ticket,
    data: ArticleInput,
    actor: User,
    *,
    history_type: str,
    kind: str,
    extra_headers: dict[str, str] | None,
    bcc: Iterable[str],
    idempotency_key: str | None = None,
    history_extra: dict | None = None,
) -> Article:
    """Build, store and queue; the caller holds the ticket's row lock."""
    to, cc = address_list(data.to_address), address_list(data.cc_address)
    hidden = addresses_of(address_list(data.bcc_address), address_list(", ".join(bcc)))
    recipients = addresses_of(to, cc, *hidden)
    if not recipients:
        raise DomainError(_("The email has no recipient."), code=ErrorCode.NO_RECIPIENT)
    headers = dict(LOOP_HEADERS) if kind in AUTOMATIC_KINDS else {}
    headers.update(extra_headers or {})
    from_ = address_list(data.from_address) or sender_of(ticket.queue)
    # Named in the mail as they will be stored on the article.
    attachments = [
        replace(a, filename=_safe_filename(a.filename), content=a.read()) for a in data.attachments
    ]
    try:
        message = build_message(
            from_=from_,
            to=to,
            cc=cc,
            reply_to=address_list(data.reply_to),
            subject=_one_line(data.subject),
            body=data.body,
            body_html=data.body_html,
            message_id=_one_line(data.message_id) or new_message_id(),
            in_reply_to=_one_line(data.in_reply_to),
            references=_one_line(data.references),
            attachments=attachments,
            headers={name: _one_line(value) for name, value in headers.items()},
        )
    except (ValueError, TypeError) as error:
        raise DomainError(
            _("The email cannot be built: %(error)s") % {"error": error},
            code=ErrorCode.INVALID_MAIL,
        ) from None
    stored = replace(
        data,
        channel=Channel.EMAIL,
        sender_type=SenderType.SYSTEM if actor.is_system else SenderType.AGENT,
        is_visible_for_customer=True,
        from_address=from_,
        to_address=to,
        cc_address=cc,
        bcc_address=", ".join(hidden),
        reply_to=address_list(data.reply_to),
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]),
        in_reply_to=_one_line(data.in_reply_to),
        references=_one_line(data.references),
        attachments=attachments,
        raw=None,
    )
    created = _add_article(
        ticket, stored, actor, history_type=history_type, history_extra=history_extra
    )
    queued = enqueue(
        message,
        kind=kind,
        recipients=recipients,
        ticket=ticket,
        article=created,
        idempotency_key=idempotency_key,
    )
    # The article's source is the queued bytes themselves (what the recipients get), stored
    # once: the queued row refers to the same RawMail.
    if queued.raw_blob_id is not None:
        ArticleRaw.objects.create(article=created, blob_id=queued.raw_blob_id)
    else:
        ArticleRaw.objects.put(created, bytes(queued.raw))
    events.record(
        TicketEvent.ARTICLE_EMAIL_SENDING_QUEUED,
        ticket_id=ticket.pk,
        actor_id=actor.pk,
        article_id=created.pk,
        data={"outbound_id": queued.pk, "recipients": recipients},
    )
    return created


def on_delivery_report(report: DeliveryReport) -> None:
    """The transport reports how an attempt to send a queued message ended (registered with
    :mod:`otrs.mail.hooks` at ``ready()``): a copy made for some of the recipients joins its
    original's ticket, and the outcome of an article's mail is recorded on the ticket."""
    if report.copied_from is not None:
        link = link_copy(report.message_id, report.copied_from)
    else:
        link = MailDelivery.objects.filter(message_id=report.message_id).first()
    if link is not None and link.article_id is not None:
        record_delivery(report, ticket_id=link.ticket_id, article_id=link.article_id)


def record_delivery(report: DeliveryReport, *, ticket_id: int, article_id: int) -> None:
    """Tell the ticket how its article's mail fared (in the sender's transaction): sent →
    event ArticleEmailSendingSent; failed for good → a history row (Misc, with the error and
    the recipients) and event ArticleEmailSendingError, which notifications can react to."""
    data = {
        "outbound_id": report.message_id,
        "recipients": list(report.recipients),
        "attempts": report.attempts,
    }
    actor = system_user()
    if report.status == OutboundStatus.SENT:
        events.record(
            TicketEvent.ARTICLE_EMAIL_SENDING_SENT,
            ticket_id=ticket_id,
            actor_id=actor.pk,
            article_id=article_id,
            data=data,
        )
        return
    if report.status != OutboundStatus.FAILED:
        return
    ticket = _locked(ticket_id)
    article = Article.objects.only("pk").get(pk=article_id)
    record_history(
        ticket,
        HistoryType.MISC,
        actor,
        article=article,
        new=report.last_error,
        extra={"event": TicketEvent.ARTICLE_EMAIL_SENDING_ERROR, **data},
        event=TicketEvent.ARTICLE_EMAIL_SENDING_ERROR,
    )
