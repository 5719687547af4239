"""Bouncing (redirecting) a received mail to another address (OTRS AgentTicketBounce)."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.mail.models import OutboundKind, OutboundMessage
from otrs.mail.outbound import addresses_of, new_message_id
from otrs.permissions import PermissionKey

from .. import deliveries, mailtexts
from ..choices import Channel, HistoryType
from ..models import Article, ArticleRaw, State, Ticket
from ._base import ArticleInput, _locked, _require
from .email import _send, address_list, sender_of, system_addresses
from .fields import set_state
from .history import record_history

# The Bounce history row of the notice to the sender (tickets.history renders it).
INFORM_EVENT = "BounceInform"


@dataclass(frozen=True)
class BounceNotice:
    """The mail that tells the original sender where their mail went (OTRS's "inform
    sender"). ``body`` may hold ``<OTRS_TICKET>`` and ``<OTRS_BOUNCE_TO>`` and the other
    ``<OTRS_*>`` tags, filled in when it is sent."""

    to: str
    subject: str
    body: str


def bounce_article(
    ticket: Ticket,
    article: Article,
    *,
    to: str,
    actor: User,
    state: State | None = None,
    inform: BounceNotice | None = None,
) -> OutboundMessage:
    """Send the mail ``article`` came in as, unchanged, on to ``to`` (with the resent
    fields of RFC 5322 naming the queue's address), as OTRS's bounce does: the ticket's
    history records it (Bounce) and, with ``state``, the ticket takes that state (OTRS
    suggests "closed successful": the mail was not ours to answer). Needs ``rw``; only a
    mail whose source is kept can be bounced, and never to one of our own addresses (it would
    come straight back). With ``inform``, the sender is also told, in a visible Email article
    of the ticket (history Bounce, as OTRS's "inform sender"); both mails or neither."""
    try:
        validate_email(to)
    except ValidationError:
        raise DomainError(
            _("“%(address)s” is not a valid email address.") % {"address": to},
            code=ErrorCode.NOT_ALLOWED,
        ) from None
    if to.strip().lower() in system_addresses():
        raise DomainError(
            _("“%(address)s” is one of our own addresses.") % {"address": to},
            code=ErrorCode.NOT_ALLOWED,
        )
    if inform is not None and not (address_list(inform.to) and inform.subject.strip()):
        raise DomainError(
            _("Telling the sender needs an address and a subject."),
            code=ErrorCode.NOT_ALLOWED,
        )
    if article.ticket_id != ticket.pk:
        raise DomainError(_("That article is not on this ticket."), code=ErrorCode.NOT_ALLOWED)
    raw = ArticleRaw.objects.filter(article=article).select_related("blob").first()
    if article.channel != Channel.EMAIL or raw is None:
        raise DomainError(
            _("Only an email whose source is kept can be bounced."), code=ErrorCode.NOT_ALLOWED
        )
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RW)
        message = message_from_bytes(raw.blob.read(), policy=default_policy)
        assert isinstance(message, EmailMessage)
        sender = sender_of(locked.queue)
        message["Resent-From"] = sender
        message["Resent-To"] = to
        message["Resent-Date"] = formatdate(localtime=False)
        message["Resent-Message-ID"] = new_message_id()
        queued = deliveries.enqueue(
            message,
            kind=OutboundKind.ARTICLE,
            recipients=[to],
            envelope_from=(addresses_of(sender) or [""])[0],
            ticket=locked,
        )
        record_history(locked, HistoryType.BOUNCE, actor, article=article, new=to)
        if inform is not None:
            _inform_sender(locked, article, inform, to=to, actor=actor)
        if state is not None and state.pk != locked.state_id:
            set_state(locked, state, actor=actor)
    ticket.refresh_from_db()
    return queued


def _inform_sender(
    ticket: Ticket, article: Article, notice: BounceNotice, *, to: str, actor: User
) -> Article:
    """The notice to the sender, sent from the queue's address; the ticket row is locked."""
    body = mailtexts.render(
        notice.body,
        ticket=ticket,
        article=article,
        agent=actor,
        extra={"ticket": ticket.number, "bounce_to": to},
    )
    return _send(
        ticket,
        ArticleInput(
            channel=Channel.EMAIL,
            to_address=notice.to,
            subject=notice.subject,
            body=body,
            in_reply_to=article.message_id,
            references=article.message_id,
        ),
        actor,
        history_type=HistoryType.BOUNCE,
        kind=OutboundKind.ARTICLE,
        extra_headers=None,
        bcc=(),
        history_extra={"event": INFORM_EVENT, "to": notice.to},
    )
