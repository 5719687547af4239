"""Delivering the outgoing queue (:class:`~otrs.mail.models.OutboundMessage`).

:func:`send_one` sends one message right after the commit that queued it (the task
``send_outbound_message``); :func:`send_due` works through whatever is due (the task
``send_outgoing_mail``, every minute, and ``manage.py mailqueue --send``).

A message is never sent twice by two workers. Sending happens outside any long transaction, in
three steps:

1. *claim*: a short transaction moves the row from ``queued`` to ``sending`` with a
   conditional UPDATE (``... WHERE status = 'queued' AND next_attempt_at <= now``), counting the
   attempt and setting ``next_attempt_at`` to when the claim runs out. Only one worker's
   UPDATE matches; the candidates are picked with ``SELECT ... FOR UPDATE SKIP LOCKED`` where
   the database has it, so workers do not even queue up behind each other's rows;
2. *send*: talk to the mail server (or write the file), no transaction open;
3. *settle*: a second short transaction records the outcome, only if the claim is still ours.

A worker that dies between 1 and 3 leaves the row ``sending``; once its claim has run out the
row is due again (the mail may then go out twice, which beats losing it).

The outcome is decided per recipient. Accepted addresses make the row ``sent``; addresses the
server refused for now (4xx, a lost connection, a timeout) are tried again as an MTA does:
after 2, 4, 8 ... minutes, the wait capped at ``OUTGOING_MAIL_MAX_BACKOFF_MINUTES`` (an hour),
for ``OUTGOING_MAIL_LIFETIME_HOURS`` after the message was queued (five days, postfix's
``maximal_queue_lifetime``; ``OUTGOING_MAIL_MAX_ATTEMPTS``, off by default, can stop it
earlier); then the row fails with a bounce-like record of why. Once a message has been failing
for ``OUTGOING_MAIL_ALERT_AFTER_MINUTES`` the administrators get one system mail (at most one
an alert period, listing every message that crossed the line), never one per attempt. When the
relay is back the rows due are sent by the next run: the queue drains by itself. Addresses
refused for good (5xx) fail at once. When one attempt ends in more than one of these, the row
keeps the first group and a copy of the message is made for each other group, so that the
accepted recipients never get it again and nothing is lost either. Each outcome is reported to
the registered delivery listeners (:func:`otrs.mail.hooks.report_delivery`): the ticket channel
records a failure on the ticket, and links a copy to the ticket of its original.

Transports (``settings.OUTGOING_MAIL``): ``smtp`` (STARTTLS when the server offers it; as in
an MTA's opportunistic TLS the certificate is not checked then, so a relay with a self-signed
certificate still works), ``smtp+starttls`` (STARTTLS required, certificate checked),
``smtps`` (TLS from the start, certificate checked), each with ``AUTH`` when a user is given
(or ``AUTH XOAUTH2`` with the OAuth2 token of the mail account ``OUTGOING_MAIL_OAUTH2_ACCOUNT``
names, refreshed as for fetching; see :mod:`otrs.mail.oauth`); and ``file`` (each message
written to ``<dir>/<timestamp>-<id>.eml``, for development).
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import hooks, oauth
from .models import MailAccount, OutboundMessage, OutboundStatus
from .outbound import queue_system_mail

logger = logging.getLogger(__name__)

# Seconds each network operation with the mail server may take.
SMTP_TIMEOUT = 30
# How long a claim lasts: longer than any one delivery can take.
CLAIM_DURATION = timedelta(minutes=15)
# How many messages one run of send_due() sends at most.
BATCH = 500


# --- outcomes ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one attempt did, per recipient: accepted, or refused with the error text."""

    accepted: list[str] = field(default_factory=list)
    temporary: dict[str, str] = field(default_factory=dict)
    permanent: dict[str, str] = field(default_factory=dict)

    @classmethod
    def everyone(cls, recipients: Iterable[str], error: str, *, permanent: bool) -> Outcome:
        errors = dict.fromkeys(recipients, error)
        return cls(permanent=errors) if permanent else cls(temporary=errors)

    @classmethod
    def per_recipient(
        cls, recipients: Iterable[str], refused: Mapping[str, tuple[int, bytes | str]]
    ) -> Outcome:
        """From smtplib's ``{address: (code, text)}`` of refused recipients."""
        outcome = cls()
        for address in recipients:
            if address not in refused:
                outcome.accepted.append(address)
                continue
            code, text = refused[address]
            target = outcome.permanent if 500 <= code < 600 else outcome.temporary
            target[address] = reply_text(code, text)
        return outcome


def reply_text(code: int, text: bytes | str) -> str:
    """An SMTP reply as the server gave it: ``550 5.1.1 <a@b>: Recipient address rejected``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


def _error_list(errors: dict[str, str]) -> str:
    """One line per address; addresses with the same error share it."""
    by_error: dict[str, list[str]] = {}
    for address, error in errors.items():
        by_error.setdefault(error, []).append(address)
    return "\n".join(f"{', '.join(addresses)}: {error}" for error, addresses in by_error.items())


# --- transports --------------------------------------------------------------------------------


class TransportError(Exception):
    """The message could not be handed over; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def tls_context(*, verify: bool) -> ssl.SSLContext:
    """The TLS settings for the mail server (tests replace this to trust their own CA)."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SMTPTransport:
    """One connection to the mail server, opened on first use and reused for a batch."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self._conn: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.config['host']}:{self.config['port']}"

    def _open(self) -> smtplib.SMTP:
        scheme, host, port = self.config["scheme"], self.config["host"], self.config["port"]
        conn: smtplib.SMTP
        if scheme == "smtps":
            conn = smtplib.SMTP_SSL(
                host, port, timeout=SMTP_TIMEOUT, context=tls_context(verify=True)
            )
        else:
            conn = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        try:
            conn.ehlo()
            if scheme != "smtps":
                if conn.has_extn("starttls"):
                    conn.starttls(context=tls_context(verify=scheme == "smtp+starttls"))
                    conn.ehlo()
                elif scheme == "smtp+starttls":
                    raise TransportError(
                        f"{self.where} does not offer STARTTLS, which smtp+starttls:// requires"
                    )
            if settings.OUTGOING_MAIL_OAUTH2_ACCOUNT:
                self._xoauth2(conn)
            elif self.config.get("user"):
                conn.login(self.config["user"], self.config.get("password", ""))
        except BaseException:
            _quietly_close(conn)
            raise
        return conn

    def _xoauth2(self, conn: smtplib.SMTP) -> None:
        """``AUTH XOAUTH2`` with the token of the named mail account (refreshed if needed)."""
        name = settings.OUTGOING_MAIL_OAUTH2_ACCOUNT
        account = MailAccount.objects.filter(name=name).first()
        if account is None or not account.uses_oauth:
            raise TransportError(
                f"OUTGOING_MAIL_OAUTH2_ACCOUNT: no mail account {name!r} that uses OAuth2"
            )
        try:
            token = oauth.access_token(account)
        except oauth.TokenError as exc:
            raise TransportError(f"{self.where}: {exc}") from None
        user = self.config.get("user") or account.login
        initial = oauth.xoauth2(user, token).decode()
        answers = iter([initial])
        # smtplib sends the first answer with AUTH; an error challenge gets an empty line.
        conn.ehlo_or_helo_if_needed()
        conn.auth("XOAUTH2", lambda challenge=None: next(answers, ""), initial_response_ok=True)

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            # A server closes an idle connection after a while: check before reusing it.
            try:
                if self._conn.noop()[0] == 250:
                    return self._conn
            except (smtplib.SMTPException, OSError):
                pass
            self.close()
        self._conn = self._open()
        return self._conn

    def deliver(self, message: OutboundMessage, raw: bytes) -> Outcome:
        recipients = list(message.recipients)
        try:
            conn = self._connection()
            options = ["SMTPUTF8"] if not _ascii(message.envelope_from, *recipients) else []
            refused = conn.sendmail(message.envelope_from, recipients, raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome.per_recipient(recipients, exc.recipients)
        except smtplib.SMTPSenderRefused as exc:
            error = f"MAIL FROM:<{exc.sender}> {reply_text(exc.smtp_code, exc.smtp_error)}"
            return Outcome.everyone(recipients, error, permanent=_permanent(exc.smtp_code))
        except smtplib.SMTPDataError as exc:
            error = f"DATA {reply_text(exc.smtp_code, exc.smtp_error)}"
            return Outcome.everyone(recipients, error, permanent=_permanent(exc.smtp_code))
        except TransportError as exc:
            self.close()
            return Outcome.everyone(recipients, str(exc), permanent=exc.permanent)
        except smtplib.SMTPResponseException as exc:
            # The greeting, EHLO, STARTTLS or AUTH: the server's or our setup's problem, never
            # the message's, so it is tried again.
            self.close()
            error = f"{self.where}: {reply_text(exc.smtp_code, exc.smtp_error)}"
            return Outcome.everyone(recipients, error, permanent=False)
        except TimeoutError:
            self.close()
            error = f"{self.where}: no answer within {SMTP_TIMEOUT} seconds"
            return Outcome.everyone(recipients, error, permanent=False)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            error = f"{self.where}: {type(exc).__name__}: {exc}"
            return Outcome.everyone(recipients, error, permanent=False)
        return Outcome.per_recipient(recipients, refused)

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                _quietly_close(conn)


class FileTransport:
    """Writes each message to ``<dir>/<timestamp>-<id>.eml`` (the embedded default), with the
    envelope as trace headers in front, as a delivering MTA adds them."""

    def __init__(self, config: dict) -> None:
        self.directory = Path(config["path"])

    def deliver(self, message: OutboundMessage, raw: bytes) -> Outcome:
        recipients = list(message.recipients)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{timezone.now():%Y%m%d%H%M%S%f}-{message.pk}.eml"
            trace = (
                f"Return-Path: <{message.envelope_from}>\r\n"
                f"X-Envelope-To: {', '.join(recipients)}\r\n"
            ).encode()
            # Written under a temporary name and renamed: a reader never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(trace + raw)
                os.replace(tmp, self.directory / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            return Outcome.everyone(recipients, f"{self.directory}: {exc}", permanent=False)
        return Outcome(accepted=recipients)

    def close(self) -> None:
        pass


def transport() -> SMTPTransport | FileTransport:
    config = settings.OUTGOING_MAIL
    if config["scheme"] == "file":
        return FileTransport(config)
    return SMTPTransport(config)


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _ascii(*values: str) -> bool:
    return all(value.isascii() for value in values)


def _quietly_close(conn: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        conn.close()


# --- claiming ----------------------------------------------------------------------------------


def _take(pk: int, now: datetime) -> bool:
    """The conditional UPDATE that makes a due row ours; False if another worker was first."""
    return bool(
        OutboundMessage.objects.filter(
            pk=pk, status=OutboundStatus.QUEUED, next_attempt_at__lte=now
        ).update(
            status=OutboundStatus.SENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + CLAIM_DURATION,
        )
    )


def _release_expired(now: datetime) -> None:
    """Rows whose worker died mid-send become due again once their claim has run out."""
    stale = OutboundMessage.objects.filter(status=OutboundStatus.SENDING, next_attempt_at__lte=now)
    for pk in stale.values_list("pk", flat=True)[:BATCH]:
        released = OutboundMessage.objects.filter(
            pk=pk, status=OutboundStatus.SENDING, next_attempt_at__lte=now
        ).update(status=OutboundStatus.QUEUED)
        if released:
            logger.warning(
                "Outgoing message %s: the worker sending it did not finish; trying again "
                "(the recipients may get it twice)",
                pk,
            )


def _claim_next() -> OutboundMessage | None:
    """The next due message, claimed; None when nothing is due."""
    for _race in range(20):
        now = timezone.now()
        with transaction.atomic():
            due = OutboundMessage.objects.filter(
                status=OutboundStatus.QUEUED, next_attempt_at__lte=now
            ).order_by("next_attempt_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            pk = due.values_list("pk", flat=True).first()
            if pk is None:
                return None
            if _take(pk, now):
                break
    else:
        return None
    return OutboundMessage.objects.get(pk=pk)


def _claim(pk: int) -> OutboundMessage | None:
    """Claim this message if it is due; None if it is sent, being sent or waiting."""
    with transaction.atomic():
        if not _take(pk, timezone.now()):
            return None
    return OutboundMessage.objects.get(pk=pk)


# --- sending -----------------------------------------------------------------------------------


def send_one(pk: int) -> str | None:
    """Send message ``pk`` if it is due; returns its status afterwards, or None when it was
    not due (already sent, being sent by another worker, waiting for its next attempt)."""
    message = _claim(pk)
    if message is None:
        return None
    sender = transport()
    try:
        return _attempt(message, sender)
    finally:
        sender.close()


def send_due(limit: int = BATCH) -> int:
    """Send up to ``limit`` due messages over one connection; returns how many went out.
    Then the administrators hear of messages failing for long (:func:`alert_admins`)."""
    try:
        return _send_due(limit)
    finally:
        alert_admins()


def _send_due(limit: int) -> int:
    _release_expired(timezone.now())
    sent = 0
    sender = transport()
    try:
        for _n in range(limit):
            message = _claim_next()
            if message is None:
                break
            if _attempt(message, sender) == OutboundStatus.SENT:
                sent += 1
    finally:
        sender.close()
    return sent


def _attempt(message: OutboundMessage, sender) -> str:
    if not message.recipients:
        return _settle(message, Outcome())
    try:
        outcome = sender.deliver(message, message.content())
    except Exception as exc:
        # A bug must not stop the queue: the message waits, the error is recorded.
        logger.exception("Outgoing message %s: unexpected error", message.pk)
        sender.close()
        outcome = Outcome.everyone(message.recipients, repr(exc), permanent=False)
    return _settle(message, outcome)


def _settle(message: OutboundMessage, outcome: Outcome) -> str:
    """Record the attempt on the row (and on copies for the other groups of recipients)."""
    now = timezone.now()
    final = _given_up(message, now)
    groups: list[dict] = []
    if outcome.accepted:
        refused = {**outcome.temporary, **outcome.permanent}
        groups.append(
            {
                "status": OutboundStatus.SENT,
                "recipients": outcome.accepted,
                "sent_at": now,
                "next_attempt_at": now,
                "last_error": _error_list(refused) if refused else "",
            }
        )
    if outcome.temporary:
        groups.append(
            {
                "status": OutboundStatus.FAILED if final else OutboundStatus.QUEUED,
                "recipients": list(outcome.temporary),
                "next_attempt_at": now if final else now + backoff(message.attempts),
                "last_error": _gave_up_text(message, now, outcome.temporary)
                if final
                else _error_list(outcome.temporary),
            }
        )
    if outcome.permanent or not groups:
        groups.append(
            {
                "status": OutboundStatus.FAILED,
                "recipients": list(outcome.permanent),
                "next_attempt_at": now,
                "last_error": _error_list(outcome.permanent) or "The message has no recipients.",
            }
        )
    with transaction.atomic():
        first, *others = groups
        settled = OutboundMessage.objects.filter(
            pk=message.pk, status=OutboundStatus.SENDING, attempts=message.attempts
        ).update(**first)
        if not settled:
            logger.warning(
                "Outgoing message %s: its claim ran out before this attempt ended (%s)",
                message.pk,
                first["status"],
            )
            return first["status"]
        rows = [message.pk]
        for group in others:
            copy = OutboundMessage.objects.create(
                kind=message.kind,
                envelope_from=message.envelope_from,
                raw=message.raw,
                raw_blob_id=message.raw_blob_id,
                message_id=message.message_id,
                subject=message.subject,
                attempts=message.attempts,
                created_at=message.created_at,
                queued_at=message.queued_at,
                alerted_at=message.alerted_at,
                **group,
            )
            rows.append(copy.pk)
        for pk, group in zip(rows, groups, strict=True):
            _log(pk, group)
            _report(pk, copied_from=None if pk == message.pk else message.pk)
    return first["status"]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 2, 4, 8 ... minutes, at most
    ``OUTGOING_MAIL_MAX_BACKOFF_MINUTES``."""
    return timedelta(
        minutes=min(2 ** min(attempts, 16), settings.OUTGOING_MAIL_MAX_BACKOFF_MINUTES)
    )


def _given_up(message: OutboundMessage, now: datetime) -> bool:
    """Whether a temporary failure now ends the message: its lifetime is over (or the
    optional cap on attempts is reached)."""
    lifetime = timedelta(hours=settings.OUTGOING_MAIL_LIFETIME_HOURS)
    cap = settings.OUTGOING_MAIL_MAX_ATTEMPTS
    return now - message.queued_at >= lifetime or bool(cap and message.attempts >= cap)


def _gave_up_text(message: OutboundMessage, now: datetime, errors: dict[str, str]) -> str:
    """The failed row's record, worded like an MTA's bounce."""
    hours = (now - message.queued_at).total_seconds() / 3600
    return (
        f"Delivery gave up after {message.attempts} attempt(s) in {hours:.1f} hour(s) "
        f"(queued {message.queued_at.isoformat(timespec='seconds')}); the last answers were:\n"
        f"{_error_list(errors)}"
    )


def alert_admins(now: datetime | None = None) -> int:
    """Tell the administrators, once, about messages failing for longer than
    ``OUTGOING_MAIL_ALERT_AFTER_MINUTES``: one system mail listing them (at most one per that
    period, by its idempotency key), and each message is counted once. Returns how many
    messages it named."""
    now = now or timezone.now()
    minutes = settings.OUTGOING_MAIL_ALERT_AFTER_MINUTES
    period = timedelta(minutes=minutes)
    failing = OutboundMessage.objects.filter(
        status=OutboundStatus.QUEUED,
        attempts__gt=0,
        alerted_at__isnull=True,
        queued_at__lte=now - period,
    ).exclude(idempotency_key__startswith=ALERT_KEY)
    with transaction.atomic():
        rows = list(
            failing.order_by("created_at", "pk").values_list("pk", "subject", "last_error")[:200]
        )
        if not rows:
            return 0
        OutboundMessage.objects.filter(pk__in=[pk for pk, _s, _e in rows]).update(alerted_at=now)
        logger.error("Outgoing mail: %d message(s) failing for over %s", len(rows), period)
        recipients = _admin_addresses()
        if not recipients:
            return len(rows)
        lines = [f"#{pk} {subject}: {' '.join(error.split())[:300]}" for pk, subject, error in rows]
        body = _(
            "These outgoing messages have not been delivered for more than %(minutes)d "
            "minutes. They stay queued and are tried again until %(hours)d hours after they "
            "were queued; the outgoing queue in the admin shows them."
        ) % {"minutes": minutes, "hours": settings.OUTGOING_MAIL_LIFETIME_HOURS}
        # The same path as every system mail: queued, so it goes out when the relay is back;
        # one per period whatever number of workers get here (the key is unique).
        queue_system_mail(
            to=", ".join(recipients),
            subject=_("Outgoing mail is not being delivered"),
            body=body + "\n\n" + "\n".join(lines),
            idempotency_key=f"{ALERT_KEY}{int(now.timestamp() // period.total_seconds())}",
        )
    return len(rows)


ALERT_KEY = "outgoing-mail-alert:"


def _admin_addresses() -> list[str]:
    if settings.OUTGOING_MAIL_ALERT_TO:
        return [a.strip() for a in settings.OUTGOING_MAIL_ALERT_TO.split(",") if a.strip()]
    users = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _log(pk: int, group: dict) -> None:
    status, count = group["status"], len(group["recipients"])
    if status == OutboundStatus.SENT:
        logger.info("Outgoing message %s sent to %d recipient(s)", pk, count)
    elif status == OutboundStatus.QUEUED:
        logger.warning(
            "Outgoing message %s not sent, next attempt at %s: %s",
            pk,
            group["next_attempt_at"].isoformat(),
            group["last_error"],
        )
    else:
        logger.error("Outgoing message %s failed for good: %s", pk, group["last_error"])


def _report(pk: int, *, copied_from: int | None = None) -> None:
    """Tell whoever registered for delivery outcomes (the ticket channel records them on the
    ticket) how this row's attempt ended."""
    message = OutboundMessage.objects.defer("raw").get(pk=pk)
    hooks.report_delivery(
        hooks.DeliveryReport(
            message_id=message.pk,
            status=message.status,
            recipients=tuple(message.recipients),
            attempts=message.attempts,
            last_error=message.last_error,
            copied_from=copied_from,
        )
    )


# --- operators ---------------------------------------------------------------------------------


def requeue(pks: Iterable[int] | None = None) -> list[int]:
    """Make failed (and waiting) messages due now, with a fresh count of attempts and a new
    lifetime (and alert); ``None``
    means every failed one. Sent messages and those being sent are never touched."""
    now = timezone.now()
    rows = OutboundMessage.objects.filter(status__in=[OutboundStatus.FAILED, OutboundStatus.QUEUED])
    rows = rows.filter(status=OutboundStatus.FAILED) if pks is None else rows.filter(pk__in=pks)
    done = []
    with transaction.atomic():
        for pk, status in rows.select_for_update().values_list("pk", "status"):
            OutboundMessage.objects.filter(pk=pk, status=status).update(
                status=OutboundStatus.QUEUED,
                attempts=0,
                next_attempt_at=now,
                queued_at=now,
                alerted_at=None,
            )
            done.append(pk)
    if done:
        logger.info("Outgoing message(s) %s queued again", ", ".join(map(str, done)))
    return done


def mark_bounced(pks: Iterable[int], reason: str) -> int:
    """A bounce came back for these messages: they are bounced, with the report's reason (the
    channel that got the bounce files it where it belongs)."""
    return (
        OutboundMessage.objects.filter(pk__in=list(pks))
        .exclude(status=OutboundStatus.BOUNCED)
        .update(status=OutboundStatus.BOUNCED, last_error=reason)
    )
