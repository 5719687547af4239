"""Putting mail into the persistent outgoing queue.

Nothing is sent here. :func:`enqueue` stores the finished message as a row of
:class:`~otrs.mail.models.OutboundMessage` in the caller's transaction and records the event
``OutboundMessageQueued`` there; once that transaction has committed, the event's handler
(:mod:`otrs.mail.receivers`) asks the daemon to send the message. A rolled-back change
therefore never sends mail, and a message that cannot be delivered now stays queued (see
:mod:`otrs.mail.sending`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import formataddr, formatdate, getaddresses
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from otrs import events

from . import hooks
from .models import OutboundKind, OutboundMessage


class MailEvent(StrEnum):
    OUTBOUND_MESSAGE_QUEUED = "OutboundMessageQueued"


# Every automatic mail carries these, so that other systems (and we ourselves, when one comes
# back) never answer it automatically (spec 3.8).
LOOP_HEADERS = {"X-Loop": "yes", "Precedence": "bulk", "Auto-Submitted": "auto-generated"}


def new_message_id() -> str:
    return f"<{timezone.now():%Y%m%d%H%M%S}.{uuid.uuid4().hex}@{settings.MAIL_DOMAIN}>"


def addresses_of(*fields: str) -> list[str]:
    """The bare addresses in address header values such as ``"A" <a@x>, b@y``."""
    seen: list[str] = []
    for _name, addr in getaddresses([f for f in fields if f]):
        if addr and "@" in addr and addr.lower() not in (s.lower() for s in seen):
            seen.append(addr)
    return seen


def format_address(email: str, display_name: str = "") -> str:
    """``"Name" <email>``, quoted and encoded as needed for a header."""
    try:
        return str(Address(display_name=display_name, addr_spec=email))
    except (ValueError, IndexError):
        return email


class _AddressHeader(str):
    """An address header (From, To, Cc, Reply-To) quoted and folded here, between whole
    addresses. The standard library's folder drops the quotes of a display name that does
    not fit on one line (``"Doe, John ..." <x@y>`` went out as ``Doe, John ... <x@y>``, an
    extra address on "reply all"); the message keeps this object as the header as it is."""

    name: str
    items: tuple[str, ...]

    def __new__(cls, name: str, items: list[str]) -> _AddressHeader:
        obj = super().__new__(cls, ", ".join(items))
        obj.name = name
        obj.items = tuple(items)
        return obj

    @classmethod
    def of(cls, name: str, value: str) -> _AddressHeader | None:
        """The header for ``value``, or None when it holds no readable address."""
        items: list[str] = []
        for display, addr in getaddresses([value]):
            if not addr or "@" not in addr:
                return None  # something we cannot re-format faithfully: left to the library
            try:
                items.append(formataddr((display, addr), charset="utf-8"))
            except UnicodeEncodeError:  # an internationalised address: leave it to the library
                return None
        return cls(name, items) if items else None

    def fold(self, *, policy: Policy) -> str:
        limit = policy.max_line_length or 998
        lines: list[str] = []
        current = f"{self.name}:"
        for i, item in enumerate(self.items):
            piece = item + ("," if i < len(self.items) - 1 else "")
            if i and len(current) + 1 + len(piece) > limit:
                lines.append(current)
                current = " " + piece
            else:
                current += " " + piece
        lines.append(current)
        return policy.linesep.join(lines) + policy.linesep


def _set_addresses(msg: EmailMessage, name: str, value: str) -> None:
    header = _AddressHeader.of(name, value)
    msg[name] = header if header is not None else value


def build_message(
    *,
    from_: str,
    to: str = "",
    cc: str = "",
    reply_to: str = "",
    subject: str = "",
    body: str = "",
    body_html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    attachments: Iterable = (),
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A complete MIME message: text (and HTML alternative), attachments, threading headers.

    ``attachments`` are objects with ``filename``, ``content``, ``content_type`` (such as
    :class:`otrs.mail.parsing.MailAttachment`). Bcc is never a header: pass those addresses to
    :func:`enqueue` as recipients.
    """
    msg = EmailMessage(policy=SMTP)
    _set_addresses(msg, "From", from_)
    if to:
        _set_addresses(msg, "To", to)
    if cc:
        _set_addresses(msg, "Cc", cc)
    if reply_to:
        _set_addresses(msg, "Reply-To", reply_to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id or new_message_id()
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body or "", subtype="plain", charset="utf-8", cte="quoted-printable")
    if body_html:
        msg.add_alternative(body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    for item in attachments:
        maintype, _slash, subtype = (item.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            item.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item.filename,
        )
    return msg


def enqueue(
    message: EmailMessage,
    *,
    kind: str,
    recipients: Iterable[str] | None = None,
    envelope_from: str = "",
    idempotency_key: str | None = None,
    shared: bool = False,
) -> OutboundMessage:
    """Store ``message`` in the outgoing queue; the daemon sends it after the commit.

    ``shared``: the caller keeps these bytes anyway (an article's raw source): they go into
    the shared raw store (:func:`otrs.mail.hooks.put_raw`) and the row refers to them, so a
    sent mail is stored once.

    ``recipients`` defaults to every address in To and Cc. ``envelope_from`` defaults to the
    address in From (bounces come back there). With ``idempotency_key``, a message queued
    before under the same key is returned instead, and nothing new is queued: an event
    handler that sees its batch again sends no second mail.
    """
    if not transaction.get_connection().in_atomic_block:
        # The row and its event are written together, or neither is.
        with transaction.atomic():
            return enqueue(
                message,
                kind=kind,
                recipients=recipients,
                envelope_from=envelope_from,
                idempotency_key=idempotency_key,
                shared=shared,
            )
    rcpts = (
        list(recipients)
        if recipients is not None
        else addresses_of(message.get("To", ""), message.get("Cc", ""))
    )
    sender = envelope_from or (addresses_of(message.get("From", "")) or [""])[0]
    raw = message.as_bytes(policy=SMTP)
    fields = {
        "kind": kind,
        "envelope_from": sender,
        "recipients": rcpts,
        "raw": b"" if shared else raw,
        "raw_blob_id": hooks.put_raw(raw) if shared else None,
        "message_id": str(message.get("Message-ID", "")),
        "subject": str(message.get("Subject", ""))[:1000],
    }
    if idempotency_key:
        try:
            with transaction.atomic():
                queued = OutboundMessage.objects.create(idempotency_key=idempotency_key, **fields)
        except IntegrityError:
            # Queued before under the same key (or at this moment by another worker): that
            # one stands, and nothing new is queued.
            return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    else:
        queued = OutboundMessage.objects.create(**fields)
    events.record(
        events.Event(
            name=MailEvent.OUTBOUND_MESSAGE_QUEUED,
            object_type="outbound_message",
            object_id=queued.pk,
        )
    )
    return queued


def queue_system_mail(
    *,
    to: str,
    subject: str,
    body: str,
    kind: str = OutboundKind.SYSTEM,
    idempotency_key: str | None = None,
) -> OutboundMessage:
    """The one way to send a mail of the system that is not a ticket article (agent
    notifications, account mails of the customer portal): plain text from
    ``NOTIFICATION_FROM``, with the loop headers of automatic mail and a one-line subject,
    queued in the caller's transaction (see :func:`enqueue`). A mail that belongs on a
    ticket as an article (auto responses, customer notifications) is sent with
    :func:`tickets.actions.send_email` instead; mail Django sends by itself (its password
    reset) reaches the same queue through :class:`otrs.mail.backend.QueueBackend`."""
    message = _system_message(to=to, subject=subject, body=body)
    return enqueue(message, kind=kind, idempotency_key=idempotency_key)


def _system_message(*, to: str, subject: str, body: str) -> EmailMessage:
    return build_message(
        from_=settings.NOTIFICATION_FROM,
        to=to,
        subject=" ".join(subject.split()),
        body=body,
        headers=dict(LOOP_HEADERS),
    )


def send_system_mail_now(*, to: str, subject: str, body: str) -> str:
    """A system mail as :func:`queue_system_mail` builds it, sent at once and stored nowhere
    (an admin's test mail, where the queue's row would be the only trace); "" when the
    server took it, else the server's (or the connection's) error."""
    # Imported here: sending imports this module.
    from .sending import transport

    message = _system_message(to=to, subject=subject, body=body)
    recipients = addresses_of(to)
    envelope = OutboundMessage(envelope_from=addresses_of(settings.NOTIFICATION_FROM)[0])
    envelope.recipients = recipients
    sender = transport()
    try:
        outcome = sender.deliver(envelope, message.as_bytes())
    finally:
        sender.close()
    errors = {**outcome.temporary, **outcome.permanent}
    return "; ".join(f"{address}: {error}" for address, error in errors.items())
