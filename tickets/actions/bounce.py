"""Bouncing (redirecting) a received mail to another address (OTRS AgentTicketBounce)."""

from __future__ import annotations

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

from .. import deliveries
from ..choices import Channel, HistoryType
from ..models import Article, ArticleRaw, State, Ticket
from ._base import _locked, _require
from .email import sender_of
from .fields import set_state
from .history import record_history


def bounce_article(
    ticket: Ticket,
    article: Article,
    *,
    to: str,
    actor: User,
    state: State | None = None,
) -> OutboundMessage:
    """Send the mail ``article`` came in as, unchanged, on to ``to`` (with the resent
    fields of RFC 5322 naming the queue's address), as OTRS's bounce does: the ticket's
    history records it (Bounce) and, with ``state``, the ticket takes that state (OTRS
    suggests "closed successful": the mail was not ours to answer). Needs ``rw``; only a
    mail whose source is kept can be bounced."""
    try:
        validate_email(to)
    except ValidationError:
        raise DomainError(
            _("“%(address)s” is not a valid email address.") % {"address": to},
            code=ErrorCode.NOT_ALLOWED,
        ) from None
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
        if state is not None and state.pk != locked.state_id:
            set_state(locked, state, actor=actor)
    ticket.refresh_from_db()
    return queued
