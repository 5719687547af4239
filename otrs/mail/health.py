"""What the mail-health page shows (reads only): per mail account its last fetch, the messages
fetched, the failures, the quarantine size and the OAuth2 token; per kind of outgoing mail the
backlog, the failed messages and the age of the oldest one waiting; and the mail server's
spool (``otrs-postmaster``, LMTP): messages waiting in it and those moved aside."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db.models import Count, Min, Q
from django.utils import timezone

from . import hooks, spool
from .models import MailAccount, OutboundKind, OutboundMessage, OutboundStatus


@dataclass(frozen=True)
class AccountHealth:
    account: MailAccount
    quarantined: int | None  # None: no channel keeps a quarantine

    @property
    def failing(self) -> bool:
        return self.account.consecutive_failures > 0


@dataclass(frozen=True)
class QueueHealth:
    kind: str
    label: str
    queued: int
    sending: int
    failed: int
    oldest_waiting: datetime | None
    now: datetime

    @property
    def backlog(self) -> int:
        return self.queued + self.sending

    @property
    def oldest_age(self) -> timedelta | None:
        return self.now - self.oldest_waiting if self.oldest_waiting else None


def accounts() -> list[AccountHealth]:
    counts = hooks.quarantine_counts()
    return [
        AccountHealth(
            account=account,
            quarantined=None if counts is None else counts.get(account.pk, 0),
        )
        for account in MailAccount.objects.order_by("name")
    ]


def outgoing(now: datetime | None = None) -> list[QueueHealth]:
    """One row per kind of outgoing mail that has any waiting or failed, then the total."""
    now = now or timezone.now()
    waiting = Q(status__in=(OutboundStatus.QUEUED, OutboundStatus.SENDING))
    rows = (
        OutboundMessage.objects.filter(
            waiting | Q(status__in=(OutboundStatus.FAILED, OutboundStatus.BOUNCED))
        )
        .values("kind")
        .annotate(
            queued=Count("pk", filter=Q(status=OutboundStatus.QUEUED)),
            sending=Count("pk", filter=Q(status=OutboundStatus.SENDING)),
            failed=Count(
                "pk", filter=Q(status__in=(OutboundStatus.FAILED, OutboundStatus.BOUNCED))
            ),
            oldest=Min("created_at", filter=waiting),
        )
        .order_by("kind")
    )
    labels = dict(OutboundKind.choices)
    result = [
        QueueHealth(
            kind=row["kind"],
            label=str(labels.get(row["kind"], row["kind"])),
            queued=row["queued"],
            sending=row["sending"],
            failed=row["failed"],
            oldest_waiting=row["oldest"],
            now=now,
        )
        for row in rows
    ]
    oldest = [row.oldest_waiting for row in result if row.oldest_waiting]
    result.append(
        QueueHealth(
            kind="",
            label="",
            queued=sum(row.queued for row in result),
            sending=sum(row.sending for row in result),
            failed=sum(row.failed for row in result),
            oldest_waiting=min(oldest) if oldest else None,
            now=now,
        )
    )
    return result


@dataclass(frozen=True)
class SpoolHealth:
    path: Path
    waiting: int  # in new/: not stored yet (due or backing off)
    failed: int  # moved aside into failed/ after MAIL_SPOOL_MAX_ATTEMPTS
    oldest_failed: datetime | None
    last_error: str
    readable: bool = True


def mail_spool() -> SpoolHealth:
    """The spool of the mail server's hand-over: what waits, and what was moved aside (an
    administrator requeues it with ``manage.py mailspool --requeue-failed``)."""
    directory = spool.spool_dir()
    try:
        waiting = sum(1 for e in os.scandir(directory / "new") if e.is_file())
    except FileNotFoundError:
        waiting = 0
    except OSError:
        return SpoolHealth(directory, 0, 0, None, "", readable=False)
    try:
        failed = list(spool.failed_messages(directory))
    except OSError:
        return SpoolHealth(directory, waiting, 0, None, "", readable=False)
    oldest = min((f.failed_at for f in failed), default=None)
    return SpoolHealth(
        path=directory,
        waiting=waiting,
        failed=len(failed),
        oldest_failed=datetime.fromtimestamp(oldest, tz=UTC) if oldest is not None else None,
        last_error=failed[-1].error if failed else "",
    )
