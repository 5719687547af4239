"""Loop protection for automatic mail (spec 3.8).

Two guards keep us from mailing machines that mail back:

- :func:`is_auto_suppressed_address`: addresses that never get an automatic mail, the
  ``SendNoAutoResponseRegExp`` ones (``MAILER-DAEMON@``, ``postmaster@``, ``abuse@``) and our
  own addresses (:func:`otrs.mail.hooks.is_own_address`; the ticket channel registers its
  valid system addresses);
- a counter per address and day (:class:`~otrs.mail.models.LoopProtection`): once
  ``POSTMASTER_MAX_AUTO_MAILS`` automatic mails went to an address today, no more go to it
  until tomorrow (OTRS ``PostmasterMaxEmails``, 40). ``0`` switches the counter off: OTRS has
  no such value, and the way to send no auto responses at all is to link none to a queue.

The day is the local date of the site's ``TIME_ZONE``. :func:`claim_auto` checks and counts in
one conditional ``UPDATE``, so two workers mailing the same address at the same moment can
never both take the last allowed mail; the row of a new day is created under the unique
constraint, and a worker that loses that race counts on the winner's row. This holds on
SQLite, PostgreSQL and MariaDB alike, without table locks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from . import hooks
from .models import LoopProtection

# OTRS SendNoAutoResponseRegExp.
NO_AUTO_RESPONSE = re.compile(r"(MAILER-DAEMON|postmaster|abuse)@.+?\..+?", re.IGNORECASE)
_ADDRESS_MAX = LoopProtection._meta.get_field("address").max_length


def normalise(address: str) -> str:
    return (address or "").strip().lower()[:_ADDRESS_MAX]


def is_valid_address(address: str) -> bool:
    try:
        validate_email((address or "").strip())
    except ValidationError:
        return False
    return True


def is_auto_suppressed_address(address: str) -> bool:
    """Addresses that never get automatic mail: mailer daemons, postmasters, abuse desks,
    and our own addresses (what the registered own-address checks say: the ticket channel
    checks its valid system addresses)."""
    return bool(NO_AUTO_RESPONSE.search(address or "")) or hooks.is_own_address(normalise(address))


def _limit() -> int:
    return settings.POSTMASTER_MAX_AUTO_MAILS


def _today() -> date:
    return timezone.localdate()


def sent_today(address: str) -> int:
    """How many automatic mails ``address`` got today."""
    row = LoopProtection.objects.filter(address=normalise(address), day=_today()).first()
    return row.count if row else 0


def may_send_auto(address: str) -> bool:
    """Whether one more automatic mail may go to ``address`` today (a read only: use
    :func:`claim_auto` to check and count at once)."""
    limit = _limit()
    return limit == 0 or sent_today(address) < limit


def count_auto(address: str) -> int:
    """Count one automatic mail to ``address`` today, whatever the limit; the new count."""
    key, day = normalise(address), _today()
    if LoopProtection.objects.filter(address=key, day=day).update(count=F("count") + 1):
        return LoopProtection.objects.get(address=key, day=day).count
    if _create(key, day):
        return 1
    LoopProtection.objects.filter(address=key, day=day).update(count=F("count") + 1)
    return LoopProtection.objects.get(address=key, day=day).count


def claim_auto(address: str) -> bool:
    """Take one of today's automatic mails for ``address``: True and counted if the limit is
    not reached yet, False (and nothing counted) if it is. Safe under concurrency."""
    key, day, limit = normalise(address), _today(), _limit()
    rows = LoopProtection.objects.filter(address=key, day=day)
    if limit:
        rows = rows.filter(count__lt=limit)
    if rows.update(count=F("count") + 1):
        return True
    if LoopProtection.objects.filter(address=key, day=day).exists():
        return False  # today's row exists, so the conditional update found the limit reached
    if _create(key, day):
        return True
    # Another worker created today's row between our two statements: count on it.
    rows = LoopProtection.objects.filter(address=key, day=day)
    if limit:
        rows = rows.filter(count__lt=limit)
    return bool(rows.update(count=F("count") + 1))


def _create(key: str, day: date) -> bool:
    """Insert today's row with a count of one; False if it exists already. The savepoint
    keeps a caller's transaction usable after the unique constraint refused the insert."""
    try:
        with transaction.atomic():
            LoopProtection.objects.create(address=key, day=day, count=1)
    except IntegrityError:
        return False
    return True


def delete_old_counters(keep_days: int = 1) -> int:
    """Drop the counters of days before the last ``keep_days`` (for a daily cleanup)."""
    cutoff = _today() - timedelta(days=max(keep_days, 1) - 1)
    deleted, _rows = LoopProtection.objects.filter(day__lt=cutoff).delete()
    return deleted
