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
one statement on PostgreSQL and SQLite (``INSERT … ON CONFLICT DO UPDATE … WHERE count <
limit``), so two workers mailing the same address at the same moment can never both take the
last allowed mail; on MariaDB a conditional ``UPDATE``, and for an address's first mail of
the day an ``INSERT IGNORE`` under the unique constraint (a worker that loses that race
counts on the winner's row with the conditional update). No table locks anywhere.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
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
    sql = _UPSERT[_vendor()].format(**_names(), guard="")
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, day])
        return cursor.fetchone()[0]


def claim_auto(address: str) -> bool:
    """Take one of today's automatic mails for ``address``: True and counted if the limit is
    not reached yet, False (and nothing counted) if it is. Safe under concurrency."""
    key, day, limit = normalise(address), _today(), _limit()
    if not limit:
        count_auto(address)
        return True
    names = _names()
    if _vendor() != "mysql":
        # One statement: today's row made with a count of one, or counted on if it is below
        # the limit; no row back when the limit is reached (the row is left as it is).
        sql = _UPSERT["other"].format(
            **names, guard=f" WHERE {names['table']}.{names['count']} < %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, day, limit])
            return cursor.fetchone() is not None
    # MariaDB's ON DUPLICATE KEY UPDATE cannot tell "counted" from "left as it was" (the
    # connection reports found rows, not changed ones): a conditional UPDATE (all an
    # address's later mails of the day need), else INSERT IGNORE of today's row, and if
    # another worker made it in between, the conditional UPDATE once more on that row.
    update = _COUNT_BELOW.format(**names)
    with connection.cursor() as cursor:
        cursor.execute(update, [limit, key, day])
        if cursor.rowcount:
            return True
        cursor.execute(_INSERT_IGNORE.format(**names), [key, day])
        if cursor.rowcount:
            return True
        cursor.execute(update, [limit, key, day])
        return bool(cursor.rowcount)


def _vendor() -> str:
    return "mysql" if connection.vendor == "mysql" else "other"


def _names() -> dict[str, str]:
    quote = connection.ops.quote_name
    fields = {f.name: f.column or f.name for f in LoopProtection._meta.concrete_fields}
    names = {"table": quote(LoopProtection._meta.db_table)}
    for name in ("address", "day", "count"):
        names[name] = quote(fields[name])
    return names


# Today's row with a count of one, or one more on the row that is there (under the unique
# constraint's row lock, so concurrent workers count one after the other); the new count.
_UPSERT = {
    "other": (
        "INSERT INTO {table} ({address}, {day}, {count}) VALUES (%s, %s, 1) "
        "ON CONFLICT ({address}, {day}) DO UPDATE SET {count} = {table}.{count} + 1{guard} "
        "RETURNING {count}"
    ),
    "mysql": (
        "INSERT INTO {table} ({address}, {day}, {count}) VALUES (%s, %s, 1) "
        "ON DUPLICATE KEY UPDATE {count} = {count} + 1{guard} RETURNING {count}"
    ),
}
_COUNT_BELOW = (
    "UPDATE {table} SET {count} = {count} + 1 WHERE {count} < %s AND {address} = %s AND {day} = %s"
)
_INSERT_IGNORE = "INSERT IGNORE INTO {table} ({address}, {day}, {count}) VALUES (%s, %s, 1)"


def delete_old_counters(keep_days: int = 1) -> int:
    """Drop the counters of days before the last ``keep_days`` (for a daily cleanup)."""
    cutoff = _today() - timedelta(days=max(keep_days, 1) - 1)
    deleted, _rows = LoopProtection.objects.filter(day__lt=cutoff).delete()
    return deleted
