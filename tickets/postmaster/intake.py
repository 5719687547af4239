"""The raw inbound store of the ticket e-mail channel: every received mail is written here
first (design rule 7), then the postmaster (:func:`tickets.postmaster.handle`) processes it.

:func:`receive` is the one entry for the MTA pipe (``manage.py postmaster``), the mail
accounts (the transport's fetcher hands their bytes to :func:`receive_fetched`, registered at
``ready()`` as :mod:`otrs.mail.hooks`' inbound receiver) and an administrator's upload. It
commits the raw bytes in a transaction of their own, and only then processes the message in a
second one. So:

- if the raw row cannot be written (the database is away, the disk is full), the error
  propagates: the pipe answers "try again later" and a mail account leaves the message on the
  server;
- once :func:`receive` returns, the message is safe whatever happened to its processing: a
  failure rolls back the ticket work but leaves the message quarantined, with its error, for
  :func:`reprocess` once the cause is fixed.
"""

from __future__ import annotations

import logging
import traceback

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.mail.hooks import Receipt
from otrs.mail.parsing import MailParseError, parse_message

from ..models import (
    InboundMessage,
    InboundSource,
    InboundStatus,
    MailAccountDispatch,
    Outcome,
)
from ..models.mail import content_hash
from . import handle

logger = logging.getLogger(__name__)

# Statuses whose message is finished: the same bytes again are a re-delivery, not new mail.
_DONE = (InboundStatus.PROCESSED, InboundStatus.IGNORED)


def receive(
    raw: bytes,
    *,
    source: str,
    account_id: int | None = None,
    queue=None,
    trusted: bool = True,
) -> InboundMessage:
    """Store ``raw`` and process it. Raises :class:`django.db.DatabaseError` only when the
    message could not be stored at all; every other failure ends in quarantine.

    The same bytes again (a fetch after a crash between commit and delete, an MTA retrying)
    return the first copy, marked ``is_duplicate``, and make nothing new.
    """
    raw = bytes(raw)
    digest = content_hash(raw)
    earlier = list(InboundMessage.objects.filter(sha256=digest).defer("raw").order_by("pk"))
    done = next((m for m in earlier if m.status in _DONE), None)
    if done is not None:
        logger.info("Inbound message %s: already stored as #%s", done.message_id, done.pk)
        done.is_duplicate = True
        return done
    if earlier:
        waiting = earlier[0]
        # Stored before but not processed (quarantined, or a crash in between): this
        # delivery is a chance to try again, not a second message.
        logger.info("Inbound message %s: stored before as #%s, trying again", digest, waiting.pk)
        return process(InboundMessage.objects.get(pk=waiting.pk))
    try:
        parsed = parse_message(raw)
    except MailParseError:
        parsed = None
    inbound = store(
        raw, source=source, account_id=account_id, queue=queue, trusted=trusted, parsed=parsed
    )
    return process(inbound, parsed=parsed)


def receive_fetched(raw: bytes, *, account_id: int, trusted: bool) -> Receipt:
    """The transport's fetcher hands over one message of a mail account: stored (and
    processed) with the account's dispatching; raises only when it could not be stored."""
    dispatching = (
        MailAccountDispatch.objects.select_related("queue").filter(account_id=account_id).first()
    )
    inbound = receive(
        raw,
        source=InboundSource.ACCOUNT,
        account_id=account_id,
        queue=dispatching.forced_queue if dispatching else None,
        trusted=trusted,
    )
    return Receipt(stored_id=inbound.pk, duplicate=inbound.is_duplicate)


def store(
    raw: bytes,
    *,
    source: str,
    account_id: int | None = None,
    queue=None,
    trusted: bool = True,
    parsed=None,
) -> InboundMessage:
    """Write the raw message in a transaction of its own."""
    with transaction.atomic():
        return InboundMessage.objects.create(
            raw=raw,
            size=len(raw),
            sha256=content_hash(raw),
            source=source,
            account_id=account_id,
            forced_queue=queue,
            trusted=trusted,
            message_id=parsed.message_id if parsed else "",
            subject=parsed.subject[:1000] if parsed else "",
            from_address=parsed.from_address if parsed else "",
        )


def process(inbound: InboundMessage, *, parsed=None) -> InboundMessage:
    """Process a stored message; on failure it is quarantined with the reason."""
    inbound.attempts += 1
    raw = bytes(inbound.raw)
    if inbound.size > settings.POSTMASTER_MAX_EMAIL_BYTES:
        return _quarantine(
            inbound,
            _("The message is %(size)d bytes, more than the limit of %(limit)d bytes.")
            % {"size": inbound.size, "limit": settings.POSTMASTER_MAX_EMAIL_BYTES},
        )
    if parsed is None:
        try:
            parsed = parse_message(raw)
        except MailParseError as exc:
            return _quarantine(inbound, _("Not an email message: %(error)s") % {"error": exc})
    try:
        with transaction.atomic():
            result = handle(parsed, raw=raw, inbound=inbound)
            inbound.status = (
                InboundStatus.IGNORED
                if result.outcome == Outcome.IGNORED
                else InboundStatus.PROCESSED
            )
            inbound.outcome = result.outcome
            inbound.ticket = result.ticket
            inbound.article = result.article
            inbound.error = ""
            inbound.processed_at = timezone.now()
            fields = ["status", "outcome", "ticket", "article", "error", "processed_at", "attempts"]
            if result.article is not None:
                # The article keeps the raw source (ArticleRaw); no need to keep it twice.
                inbound.raw = b""
                fields.append("raw")
            inbound.save(update_fields=fields)
    except DatabaseError as exc:
        # The database itself failed: quarantining needs it too, so try, and if that fails as
        # well the row stays "received" and the daily reprocess run picks it up.
        logger.exception("Inbound message #%s: database error while processing", inbound.pk)
        return _quarantine(inbound, _("Database error: %(error)s") % {"error": exc}, quiet=True)
    except Exception as exc:
        logger.exception("Inbound message #%s could not be processed", inbound.pk)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return _quarantine(inbound, detail)
    return inbound


def reprocess(inbound: InboundMessage) -> InboundMessage:
    """Process a quarantined (or never processed) message again."""
    if inbound.status in _DONE:
        return inbound
    return process(inbound)


def reprocess_all(limit: int = 1000) -> tuple[int, int]:
    """Reprocess quarantined and stuck messages, oldest first: (processed, still failing)."""
    pending = InboundMessage.objects.filter(
        status__in=(InboundStatus.QUARANTINED, InboundStatus.RECEIVED)
    ).order_by("received_at", "pk")[:limit]
    ok = failed = 0
    for inbound in pending:
        result = reprocess(inbound)
        if result.status in _DONE:
            ok += 1
        else:
            failed += 1
    return ok, failed


def _quarantine(inbound: InboundMessage, reason: str, *, quiet: bool = False) -> InboundMessage:
    inbound.status = InboundStatus.QUARANTINED
    inbound.error = reason
    try:
        InboundMessage.objects.filter(pk=inbound.pk).update(
            status=inbound.status, error=reason, attempts=inbound.attempts
        )
    except DatabaseError:
        if not quiet:
            raise
        logger.exception("Inbound message #%s: could not record the quarantine", inbound.pk)
    return inbound


__all__ = [
    "InboundSource",
    "process",
    "receive",
    "receive_fetched",
    "reprocess",
    "reprocess_all",
    "store",
]
