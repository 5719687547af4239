"""Ticket number generators (OTRS AutoIncrement, Date, DateChecksum, Random).

Every generator embeds the SystemID. Counters live in ``TicketNumberCounter`` rows, one per
scope (a day for the date generators, ``all`` for AutoIncrement), and are advanced under a
row lock inside the caller's transaction, so two concurrent creations can never draw the same
counter value; the unique constraint on ``Ticket.number`` is the last line of defence.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Ticket, TicketNumberCounter

AUTO_SCOPE = "all"
# A date generator's counter scope is its day, "YYYYMMDD".
DATE_SCOPE_REGEX = r"^[0-9]{8}$"


def counter_day(now: datetime) -> str:
    """The day a date-based number belongs to, in the site's time zone (TIME_ZONE).

    Deliberately not the active (per-user) time zone: every request must draw from the same
    day's counter, and the cleanup below must agree on which day is "today".
    """
    return now.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y%m%d")


def cleanup_counters(now: datetime | None = None) -> int:
    """Delete the counters of days before yesterday; return how many rows went.

    Today's row is in use; yesterday's is kept because a transaction that began just before
    midnight may still draw from it. No generator numbers a past day again, so deleting is
    safe and running this twice gives the same result. AutoIncrement's row is never touched.
    """
    yesterday = counter_day((now or timezone.now()) - timedelta(days=1))
    deleted, _rows = TicketNumberCounter.objects.filter(
        scope__regex=DATE_SCOPE_REGEX, scope__lt=yesterday
    ).delete()
    return deleted


def checksum_digit(digits: str) -> int:
    """The DateChecksum check digit: weights 1,2,1,2... from the left; 10 becomes 1."""
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(digits))
    check = 10 - total % 10
    return 1 if check == 10 else check


def _system_id() -> str:
    return str(settings.SYSTEM_ID)


def _reserve(scope: str, count: int, *, start_from: Callable[[], int] | None = None) -> int:
    """Advance the counter of ``scope`` by ``count``; return the first value reserved.

    One atomic upsert, in the caller's transaction: the row lock it takes is held until the
    caller commits, which is what makes allocation safe between processes. A plain
    ``SELECT ... FOR UPDATE`` followed by an ``INSERT`` for a new day deadlocks on InnoDB when
    three transactions race for the new row (their duplicate-key checks take shared locks);
    an upsert takes the exclusive lock at once.
    """
    initial = 0
    if start_from is not None and not TicketNumberCounter.objects.filter(scope=scope).exists():
        initial = start_from()
    table = connection.ops.quote_name(TicketNumberCounter._meta.db_table)
    # atomic(): a caller in autocommit mode still gets the upsert and the read in one
    # transaction (on MariaDB they are two statements). No savepoint: a failed upsert fails
    # the caller's transaction anyway (and PostgreSQL's at once).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "mysql":
            cursor.execute(
                f"INSERT INTO {table} (scope, value) VALUES (%s, %s) "  # noqa: S608
                "ON DUPLICATE KEY UPDATE value = value + %s",
                [scope, initial + count, count],
            )
            cursor.execute(f"SELECT value FROM {table} WHERE scope = %s", [scope])  # noqa: S608
        else:
            cursor.execute(
                f"INSERT INTO {table} (scope, value) VALUES (%s, %s) "  # noqa: S608
                f"ON CONFLICT (scope) DO UPDATE SET value = {table}.value + %s RETURNING value",
                [scope, initial + count, count],
            )
        (last,) = cursor.fetchone()
    return last - count + 1


def _last_auto_increment_counter() -> int:
    """AutoIncrement on an empty counter continues from the newest ticket, unless that
    number looks date-based (then it starts at 1), as OTRS does."""
    last = Ticket.objects.order_by("-id").values_list("number", flat=True).first()
    sid = _system_id()
    if not last or not last.startswith(sid) or len(last) >= 14:
        return 0
    tail = last[len(sid) :]
    return int(tail) if tail.isdigit() else 0


class Generator:
    name = ""

    def numbers(self, count: int, now: datetime) -> list[str]:
        raise NotImplementedError

    def pattern(self) -> str:
        """A regular expression matching a number of this generator (for mail parsing)."""
        raise NotImplementedError


class AutoIncrement(Generator):
    name = "AutoIncrement"

    def numbers(self, count: int, now: datetime) -> list[str]:
        first = _reserve(AUTO_SCOPE, count, start_from=_last_auto_increment_counter)
        size = settings.TICKET_NUMBER_MIN_COUNTER_SIZE
        return [f"{_system_id()}{value:0{size}d}" for value in range(first, first + count)]

    def pattern(self) -> str:
        return rf"{re.escape(_system_id())}\d{{5,10}}"


class Date(Generator):
    name = "Date"

    def numbers(self, count: int, now: datetime) -> list[str]:
        day = counter_day(now)
        first = _reserve(day, count)
        return [f"{day}{_system_id()}{value}" for value in range(first, first + count)]

    def pattern(self) -> str:
        return rf"\d{{8}}{re.escape(_system_id())}\d{{1,40}}"


class DateChecksum(Generator):
    name = "DateChecksum"

    def numbers(self, count: int, now: datetime) -> list[str]:
        day = counter_day(now)
        first = _reserve(day, count)
        result = []
        for value in range(first, first + count):
            digits = f"{day}{_system_id()}{value:05d}"
            result.append(f"{digits}{checksum_digit(digits)}")
        return result

    def pattern(self) -> str:
        return rf"\d{{8}}{re.escape(_system_id())}\d{{4,40}}"


class Random(Generator):
    """SystemID plus ten random digits; collisions are caught by the unique constraint."""

    name = "Random"

    def numbers(self, count: int, now: datetime) -> list[str]:
        return [f"{_system_id()}{secrets.randbelow(10**10):010d}" for _ in range(count)]

    def pattern(self) -> str:
        return rf"{re.escape(_system_id())}\d{{2,20}}"


GENERATORS: dict[str, type[Generator]] = {
    cls.name: cls for cls in (AutoIncrement, Date, DateChecksum, Random)
}


def generator() -> Generator:
    return GENERATORS[settings.TICKET_NUMBER_GENERATOR]()


def next_number(now: datetime | None = None) -> str:
    return generator().numbers(1, now or timezone.now())[0]


def reserve_numbers(count: int, now: datetime | None = None) -> list[str]:
    """Many numbers at once, for bulk loads (one counter update for all of them)."""
    return generator().numbers(count, now or timezone.now())


def find_number(text: str) -> str | None:
    """The first ticket number after the ticket hook in ``text`` (a subject, usually)."""
    hook = re.escape(settings.TICKET_HOOK)
    match = re.search(rf"{hook}(?::\s{{0,2}})?({generator().pattern()})", text, flags=re.IGNORECASE)
    return match.group(1) if match else None
