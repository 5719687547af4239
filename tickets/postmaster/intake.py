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

Storing never fails for what a mail holds: the bytes go in as bytes (a shared
:class:`~tickets.models.RawMail`), and nothing is derived from them before that commit; the
text columns derived later (message id, subject, sender) are cleaned of what a database
refuses (NUL, lone surrogates) and cut to their column.

"Already stored" means the same :func:`~tickets.models.mail.fingerprint` (the same Message-ID
and the same content apart from transport headers), enforced by a unique column, so any
number of workers storing one mail at once make one row; see the README.

Processing a stored row first claims it with a conditional update (``received`` or
``quarantined`` → ``processing`` until ``claimed_until``): concurrent deliveries and reprocess
runs of one message make one ticket. A row left ``received`` or ``processing`` by a crash is
taken over by :func:`sweep` (the daemon runs it every few minutes) once its claim ran out.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from otrs import bulk
from otrs.events import outbox
from otrs.mail.hooks import Receipt
from otrs.mail.parsing import MailParseError, parse_message
from otrs.mail.parsing.headers import clean_line, clean_text

from .. import actions
from ..models import (
    InboundMessage,
    InboundSource,
    InboundStatus,
    MailAccountDispatch,
    Outcome,
    RawMail,
)
from ..models.mail import DecodedBodies, QuarantineReason, content_hash, fingerprint
from . import handle

logger = logging.getLogger(__name__)

# Statuses whose message is finished: the same mail again is a re-delivery, not new mail.
_DONE = (InboundStatus.PROCESSED, InboundStatus.IGNORED)


def column_text(value: str, limit: int | None = None) -> str:
    """One line for a text column: the parser's cleaning (:func:`clean_line`: NUL removed,
    lone surrogates and control characters replaced), cut to ``limit`` characters. The
    parser already hands over clean fields; this only guards the columns the store writes."""
    value = clean_line(value)
    return value[:limit] if limit is not None else value


_SUBJECT_MAX = InboundMessage._meta.get_field("subject").max_length


def claim_time() -> timedelta:
    return timedelta(seconds=settings.POSTMASTER_CLAIM_SECONDS)


def receive(
    raw: bytes,
    *,
    source: str,
    account_id: int | None = None,
    queue=None,
    trusted: bool = True,
    envelope_recipients: tuple[str, ...] | list[str] = (),
) -> InboundMessage:
    """Store ``raw`` and process it. Raises :class:`django.db.DatabaseError` only when the
    message could not be stored at all; every other failure ends in quarantine.

    The same mail again (a fetch after a crash between commit and delete, an MTA retrying,
    a second of our addresses) returns the first copy, marked ``is_duplicate``, and makes
    nothing new; a first copy not processed yet is processed now (if nobody else is).
    """
    inbound = store(
        raw,
        source=source,
        account_id=account_id,
        queue=queue,
        trusted=trusted,
        claim=True,
        envelope_recipients=envelope_recipients,
    )
    if not inbound.is_duplicate:
        return process(inbound, claimed=True)
    if inbound.status in _DONE:
        logger.info("Inbound message %s: already stored as #%s", inbound.sha256, inbound.pk)
        return inbound
    # Stored before but not processed (quarantined, or a crash in between): this
    # delivery is a chance to try again, not a second message.
    logger.info("Inbound message #%s: stored before, trying again", inbound.pk)
    inbound.is_duplicate = False
    return process(inbound)


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
    claim: bool = False,
    envelope_recipients: tuple[str, ...] | list[str] = (),
) -> InboundMessage:
    """Write the raw message in a transaction of its own, before anything is derived from it.

    Returns the row; when the same mail (fingerprint) was stored before, that row, marked
    ``is_duplicate``. ``claim``: a new row is written already claimed by this worker
    (``processing`` until ``claimed_until``), so processing it right after needs no claim
    of its own; a crash in between leaves it to :func:`sweep` once the claim runs out.
    ``parsed`` is accepted for callers of the older signature and unused: the derived
    columns are filled when the message is processed.
    """
    raw = bytes(raw)
    print_ = fingerprint(raw)
    sha = content_hash(raw)
    fields: dict[str, Any] = {
        "size": len(raw),
        "sha256": sha,
        "fingerprint": print_,
        "source": source,
        "account_id": account_id,
        "forced_queue": queue,
        "trusted": trusted,
        # The envelope (LMTP's RCPT TO), as the MTA gave it: text, cleaned for the column.
        "envelope_recipients": [column_text(str(r), 320) for r in envelope_recipients],
    }
    if claim:
        fields.update(
            status=InboundStatus.PROCESSING,
            claimed_until=timezone.now() + claim_time(),
            attempts=1,
        )
    try:
        # The common case, a mail never seen: its bytes and its row, two inserts and one
        # commit, no look-up first. Any unique conflict (the same bytes or the same mail
        # stored before, or by another worker at this moment) rolls the whole store back
        # and takes the slower way below.
        with transaction.atomic():
            # Both rows in one statement where the database allows it (otrs.bulk).
            inbound = InboundMessage(**fields)
            bulk.insert_with_parent(RawMail.objects.build(raw, sha), [inbound], "blob")
    except IntegrityError:
        pass
    else:
        inbound.raw_bytes = raw
        return inbound
    earlier = InboundMessage.objects.select_related("blob").filter(fingerprint=print_).first()
    if earlier is not None:
        earlier.is_duplicate = True
        _add_envelope_recipients(earlier, fields["envelope_recipients"])
        return earlier
    # Only the bytes were there (an article's raw source: our own mail coming back with
    # the very same bytes): share them.
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(blob=RawMail.objects.put(raw), **fields)
    except IntegrityError:
        # The unique fingerprint: another worker stored the same mail at this moment.
        earlier = InboundMessage.objects.select_related("blob").filter(fingerprint=print_).first()
        if earlier is None:
            raise
        earlier.is_duplicate = True
        _add_envelope_recipients(earlier, fields["envelope_recipients"])
        return earlier
    inbound.raw_bytes = raw
    return inbound


def _add_envelope_recipients(inbound: InboundMessage, recipients: list[str]) -> None:
    """The same mail delivered again for other addresses of ours (an MTA that splits a
    message per recipient, or a second RCPT TO later): the stored copy is not processed
    again, but its envelope names every address it came for. Under the row's lock, so two
    deliveries at once both add theirs."""
    if not set(recipients) - set(inbound.envelope_recipients or ()):
        return
    with transaction.atomic():
        current = (
            InboundMessage.objects.select_for_update()
            .filter(pk=inbound.pk)
            .values_list("envelope_recipients", flat=True)
            .first()
        )
        known = list(current or ())
        merged = known + [r for r in dict.fromkeys(recipients) if r not in known]
        if merged != known:
            InboundMessage.objects.filter(pk=inbound.pk).update(envelope_recipients=merged)
    inbound.envelope_recipients = merged


def _claim(inbound: InboundMessage, *, stuck_only: bool = False) -> InboundMessage | None:
    """Take the row for this worker (conditional update); None when another worker holds it
    or it is finished. ``stuck_only``: only rows whose claim (or grace time) ran out."""
    now = timezone.now()
    until = now + claim_time()
    expired = Q(status=InboundStatus.PROCESSING, claimed_until__lt=now)
    if stuck_only:
        waiting = Q(status=InboundStatus.RECEIVED, received_at__lt=now - claim_time())
    else:
        waiting = Q(status__in=(InboundStatus.RECEIVED, InboundStatus.QUARANTINED))
    taken = InboundMessage.objects.filter(waiting | expired, pk=inbound.pk).update(
        status=InboundStatus.PROCESSING, claimed_until=until, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    claimed = InboundMessage.objects.select_related("blob").get(pk=inbound.pk)
    claimed.is_duplicate = inbound.is_duplicate
    return claimed


def process(
    inbound: InboundMessage,
    *,
    parsed=None,
    stuck_only: bool = False,
    claimed: bool = False,
) -> InboundMessage:
    """Claim a stored message and process it; on failure it is quarantined with the reason.
    A message another worker holds (or that is finished) is returned as it is.
    ``claimed``: the row was stored claimed by this worker (:func:`store` with ``claim``)."""
    if claimed:
        return _process_claimed(inbound, parsed)
    claimed_row = _claim(inbound, stuck_only=stuck_only)
    if claimed_row is None:
        current = InboundMessage.objects.filter(pk=inbound.pk).first() or inbound
        current.is_duplicate = inbound.is_duplicate
        logger.info("Inbound message #%s: %s, not claimed here", current.pk, current.status)
        return current
    return _process_claimed(claimed_row, parsed)


def _process_claimed(inbound: InboundMessage, parsed) -> InboundMessage:
    prepared = _prepare(inbound, parsed)
    if isinstance(prepared, InboundMessage):
        return prepared  # quarantined
    raw, parsed = prepared
    try:
        # Any error rolls this transaction back whole (and quarantines the message in another
        # one): the actions inside need no savepoints of their own.
        with transaction.atomic(), actions.whole_transaction():
            _apply(inbound, raw, parsed, then=_relaxed_commit())
    except _ClaimLost:
        logger.warning("Inbound message #%s: claim ran out, left to its new holder", inbound.pk)
        return InboundMessage.objects.get(pk=inbound.pk)
    except Exception as exc:
        return _failed(inbound, exc)
    inbound.claimed_until = None
    return inbound


def _prepare(inbound: InboundMessage, parsed) -> tuple[bytes, Any] | InboundMessage:
    """The claimed message's bytes and parsed mail, or the message quarantined (too large,
    unreadable, not a mail)."""
    if inbound.size > settings.POSTMASTER_MAX_EMAIL_BYTES:
        return _quarantine(
            inbound,
            QuarantineReason.TOO_LARGE,
            size=inbound.size,
            limit=settings.POSTMASTER_MAX_EMAIL_BYTES,
        )
    try:
        # The bytes this worker just stored, else read back (and checked) from the store.
        raw = getattr(inbound, "raw_bytes", None) or inbound.raw
    except (OSError, ValueError) as exc:
        return _quarantine(inbound, QuarantineReason.UNREADABLE, str(exc))
    if parsed is None:
        # The base64 bodies the store just decoded (and hashed) to keep each file once:
        # the parser takes them as they are instead of decoding them again.
        bodies = _stored_bodies(inbound)
        try:
            parsed = parse_message(
                raw, decoded={start: (end, data) for start, (end, data, _sha) in bodies.items()}
            )
        except MailParseError as exc:
            return _quarantine(inbound, QuarantineReason.NOT_MAIL, str(exc))
    # The parser guarantees every text field is free of what a database refuses
    # (tests/mail/test_parsing_robust.py); only the column lengths are applied here.
    inbound.message_id = column_text(parsed.message_id)
    inbound.subject = column_text(parsed.subject, _SUBJECT_MAX)
    inbound.from_address = column_text(parsed.from_address)
    return raw, parsed


def _apply(inbound: InboundMessage, raw: bytes, parsed, *, then: str = "") -> None:
    """The ticket work of one claimed message and its row marked done, in the caller's
    transaction; raises :class:`_ClaimLost` when the claim is no longer this worker's."""
    result = handle(parsed, raw=raw, inbound=inbound)
    inbound.status = (
        InboundStatus.IGNORED if result.outcome == Outcome.IGNORED else InboundStatus.PROCESSED
    )
    inbound.outcome = result.outcome
    inbound.ticket = result.ticket
    inbound.article = result.article
    inbound.error_code, inbound.error_params, inbound.error = "", {}, ""
    inbound.processed_at = timezone.now()
    # One hand-built statement (otrs.bulk.update), as every mail ends here.
    done = bulk.update(
        InboundMessage,
        inbound.pk,
        {
            "status": inbound.status,
            "outcome": inbound.outcome,
            "ticket": inbound.ticket,
            "article": inbound.article,
            "error_code": "",
            "error_params": {},
            "error": "",
            "processed_at": inbound.processed_at,
            "claimed_until": None,
            "message_id": inbound.message_id,
            "subject": inbound.subject,
            "from_address": inbound.from_address,
        },
        where={"status": InboundStatus.PROCESSING, "claimed_until": inbound.claimed_until},
        then=then,
    )
    if not done:
        # Our claim ran out and another worker took the message over: undo ours.
        raise _ClaimLost


def _failed(inbound: InboundMessage, exc: Exception, *, quiet: bool = True) -> InboundMessage:
    """Quarantine ``inbound`` for the error its processing raised (rolled back already)."""
    if isinstance(exc, DatabaseError):
        # The database itself failed: quarantining needs it too, so try, and if that fails as
        # well the row stays "processing" and the sweep takes it over when the claim runs out.
        logger.error(
            "Inbound message #%s: database error while processing", inbound.pk, exc_info=exc
        )
        return _quarantine(inbound, QuarantineReason.DATABASE, clean_text(str(exc)), quiet=quiet)
    logger.error("Inbound message #%s could not be processed", inbound.pk, exc_info=exc)
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return _quarantine(inbound, QuarantineReason.FAILED, clean_text(detail))


class _ClaimLost(Exception):
    pass


# --- group commit ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """One message from a source that keeps it until it is stored (the spool's file, a
    mailbox's message deleted after the commit): the bytes and how it came."""

    raw: bytes
    source: str
    account_id: int | None = None
    queue: Any = None
    trusted: bool = True
    envelope_recipients: tuple[str, ...] = ()


def receive_many(messages: Sequence[Incoming]) -> list[InboundMessage]:
    """Store several messages and process them, a commit per group instead of two per
    message: the raw bytes of all of them in one transaction (one durable commit; a
    :class:`django.db.DatabaseError` there means none of them is stored and the source
    keeps them all), then the new ones processed by :func:`process_waiting`. Returns the
    rows in the order given; a copy of a mail stored before is that row, marked
    ``is_duplicate``, as with :func:`receive`."""
    with transaction.atomic():
        stored = [
            store(
                m.raw,
                source=m.source,
                account_id=m.account_id,
                queue=m.queue,
                trusted=m.trusted,
                envelope_recipients=m.envelope_recipients,
            )
            for m in messages
        ]
    fresh = {row.pk: row for row in stored if not row.is_duplicate}
    done = process_waiting(list(fresh), known=fresh)
    results = []
    for row in stored:
        if row.pk in done:
            result = done[row.pk]
            if row.is_duplicate:  # the same mail twice in this group
                result = InboundMessage.objects.get(pk=row.pk)
                result.is_duplicate = True
            results.append(result)
        elif row.is_duplicate and row.status in _DONE:
            results.append(row)
        else:
            # Stored before and not finished, or taken by another worker meanwhile: as
            # receive() does, try it (a row another worker holds is returned as it is).
            duplicate = row.is_duplicate
            row.is_duplicate = False
            result = process(row)
            result.is_duplicate = duplicate
            results.append(result)
    return results


def process_waiting(
    pks: Sequence[int] | None = None,
    *,
    known: dict[int, InboundMessage] | None = None,
    limit: int | None = None,
) -> dict[int, InboundMessage]:
    """Process the stored messages waiting ``received`` (those of ``pks``, else any, oldest
    first; at most ``limit``) in groups: each group is claimed and processed in one
    transaction, a savepoint per message, and committed once, so one commit (and, where the
    processing commit waits for the disk, one flush) covers many mails. A group ends after
    ``POSTMASTER_GROUP_SIZE`` messages or once ``POSTMASTER_GROUP_MS`` milliseconds have passed.

    - Each message is claimed by one worker: the group's rows are locked (``FOR UPDATE SKIP
      LOCKED`` where the database has it, so workers draining at once take disjoint groups)
      and moved to ``processing`` by a conditional update in the group's transaction.
    - A message that fails rolls back to its savepoint only and is quarantined in the
      group's transaction, so its record commits with the group. Should its failure break
      the whole transaction (MariaDB rolls a deadlocked transaction back whole), every
      message of the group is processed again alone, as :func:`process` does.
    - A crash before the commit rolls the whole group back: its messages are ``received``
      again, for the next drain or :func:`sweep`.
    - Events are recorded in a batch per message and handed to the workers, all of the
      group's at once, only after the commit (auto replies and notifications included).

    ``known``: rows this worker stored a moment ago, with their bytes in memory (not read
    back). Returns the rows processed here (quarantined ones included) by primary key."""
    known = known or {}
    done: dict[int, InboundMessage] = {}
    remaining = None if pks is None else list(pks)
    while remaining is None or remaining:
        size = settings.POSTMASTER_GROUP_SIZE
        if limit is not None:
            size = min(size, limit - len(done))
            if size <= 0:
                break
        got = _process_group(remaining, size, known)
        if not got:
            break
        done.update(got)
        if remaining is not None:
            remaining = [pk for pk in remaining if pk not in got]
    return done


class _GroupBroken(Exception):
    """A message's failure left the group's transaction unusable."""


def _process_group(
    pks: list[int] | None, size: int, known: dict[int, InboundMessage]
) -> dict[int, InboundMessage]:
    deadline = time.monotonic() + settings.POSTMASTER_GROUP_MS / 1000
    results: dict[int, InboundMessage] = {}
    rows: list[InboundMessage] = []
    again: list[InboundMessage] = []
    try:
        with outbox.handed_over_together(), transaction.atomic():
            rows = _claim_group(pks, size, known)
            if rows and _relaxed_commit():
                with transaction.get_connection().cursor() as cursor:
                    cursor.execute(_relaxed_commit())
            for index, row in enumerate(rows):
                if results and time.monotonic() > deadline:
                    _release(rows[index:])
                    break
                done = _process_in_group(row)
                if done is None:
                    again.append(row)
                else:
                    results[row.pk] = done
            if again:
                _release(again)
    except _GroupBroken:
        logger.warning("Inbound group of %d: its transaction broke, each message alone", len(rows))
        return {row.pk: process(row) for row in rows}
    # Those that met another worker's locks (a deadlock between two groups): alone now,
    # after this group's commit released its locks.
    for row in again:
        results[row.pk] = process(row)
    return results


def _claim_group(
    pks: list[int] | None, size: int, known: dict[int, InboundMessage]
) -> list[InboundMessage]:
    """Lock and claim up to ``size`` waiting rows in the caller's transaction."""
    waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED)
    if pks is not None:
        waiting = waiting.filter(pk__in=pks)
    if transaction.get_connection().features.has_select_for_update_skip_locked:
        waiting = waiting.select_for_update(skip_locked=True)
    locked = list(waiting.order_by("received_at", "pk").values_list("pk", flat=True)[:size])
    if not locked:
        return []
    until = timezone.now() + claim_time()
    taken = InboundMessage.objects.filter(pk__in=locked, status=InboundStatus.RECEIVED).update(
        status=InboundStatus.PROCESSING, claimed_until=until, attempts=F("attempts") + 1
    )
    if taken < len(locked):
        # No row locks (SQLite): another worker took some between the read and the update.
        mine = InboundMessage.objects.filter(pk__in=locked, claimed_until=until)
        locked = [pk for pk in locked if pk in set(mine.values_list("pk", flat=True))]
    others = [pk for pk in locked if pk not in known]
    read = InboundMessage.objects.select_related("blob").in_bulk(others) if others else {}
    rows = []
    for pk in locked:
        row = known.get(pk) or read[pk]
        row.status, row.claimed_until = InboundStatus.PROCESSING, until
        if pk in known:
            row.attempts += 1
        rows.append(row)
    return rows


def _release(rows: list[InboundMessage]) -> None:
    """Give back claimed rows the group had no time for (waiting again, as before)."""
    InboundMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=InboundStatus.RECEIVED, claimed_until=None, attempts=F("attempts") - 1
    )


def _process_in_group(inbound: InboundMessage) -> InboundMessage | None:
    """One claimed message of a group, in a savepoint of the group's transaction; None when
    it met a lock conflict (to be tried alone after the group's commit)."""
    prepared = _prepare(inbound, None)
    if isinstance(prepared, InboundMessage):
        return prepared  # quarantined, in the group's transaction
    raw, parsed = prepared
    try:
        with transaction.atomic(), actions.whole_transaction(), outbox.own_batch():
            _apply(inbound, raw, parsed)
    except Exception as exc:
        if transaction.get_connection().needs_rollback:
            raise _GroupBroken from exc
        if _lock_conflict(exc):
            # Two groups locking the same tickets in another order: not the message's
            # fault, so not a quarantine.
            logger.info("Inbound message #%s: lock conflict in its group, again alone", inbound.pk)
            return None
        return _failed(inbound, exc, quiet=False)
    inbound.claimed_until = None
    return inbound


# A deadlock or a serialisation failure (PostgreSQL's SQLSTATE), a deadlock or a lock wait
# timeout (MariaDB's error numbers).
_CONFLICT_STATES = {"40P01", "40001"}
_CONFLICT_ERRNOS = {1213, 1205}


def _lock_conflict(exc: BaseException) -> bool:
    if not isinstance(exc, DatabaseError):
        return False
    cause = exc.__cause__ or exc
    if getattr(cause, "sqlstate", None) in _CONFLICT_STATES:
        return True
    args: tuple[Any, ...] = tuple(getattr(cause, "args", ()))
    return bool(args) and args[0] in _CONFLICT_ERRNOS


def _stored_bodies(inbound: InboundMessage) -> DecodedBodies:
    """The decoded base64 bodies of the raw row this worker just made for ``inbound``
    (none for a row read back from the database)."""
    if getattr(inbound, "raw_bytes", None) is None:
        return {}
    return inbound.blob.bodies or {}


def _relaxed_commit() -> str:
    """On PostgreSQL, the statement that lets this processing transaction commit without
    waiting for its WAL to reach the disk (``POSTMASTER_ASYNC_COMMIT``), else "": the raw
    row was committed durably before, claimed by this worker, so a database crash that
    loses this commit leaves the row ``processing`` and :func:`sweep` processes it again
    once the claim runs out. Nothing the sender was told is lost; the commit no longer
    waits for a disk flush (the larger part of a plain mail's wall time on a busy disk).
    The setting counts at the commit, so it goes with the transaction's last statement
    (the inbound row's update) in the same round trip, not as a statement of its own."""
    connection = transaction.get_connection()
    if settings.POSTMASTER_ASYNC_COMMIT and connection.vendor == "postgresql":
        return "SET LOCAL synchronous_commit TO OFF"
    return ""


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


def sweep(limit: int = 200) -> int:
    """Take over messages a crash left behind: ``received`` for longer than a claim lasts
    (the worker that stored it died before processing) or ``processing`` past its claim.
    Run by the daemon every few minutes; returns how many it processed."""
    now = timezone.now()
    stuck = (
        InboundMessage.objects.filter(
            Q(status=InboundStatus.RECEIVED, received_at__lt=now - claim_time())
            | Q(status=InboundStatus.PROCESSING, claimed_until__lt=now)
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in list(stuck):
        result = process(InboundMessage(pk=pk), stuck_only=True)
        done += result.status in _DONE
    if done:
        logger.info("Inbound sweep: %d stuck message(s) processed", done)
    return done


def _quarantine(
    inbound: InboundMessage,
    reason: QuarantineReason,
    detail: str = "",
    *,
    quiet: bool = False,
    **params: int,
) -> InboundMessage:
    """Quarantine ``inbound`` for ``reason`` (a code, put into words when shown), with the
    technical ``detail`` (an exception's text) and the reason's figures ``params``."""
    inbound.status = InboundStatus.QUARANTINED
    inbound.error_code, inbound.error_params, inbound.error = reason, params, detail
    inbound.claimed_until = None
    try:
        InboundMessage.objects.filter(pk=inbound.pk).update(
            status=inbound.status,
            error_code=reason,
            error_params=params,
            error=detail,
            claimed_until=None,
            message_id=inbound.message_id,
            subject=inbound.subject,
            from_address=inbound.from_address,
        )
    except DatabaseError:
        if not quiet:
            raise
        logger.exception("Inbound message #%s: could not record the quarantine", inbound.pk)
    return inbound


__all__ = [
    "InboundSource",
    "Incoming",
    "column_text",
    "process",
    "process_waiting",
    "receive",
    "receive_fetched",
    "receive_many",
    "reprocess",
    "reprocess_all",
    "store",
    "sweep",
]
