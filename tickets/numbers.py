"""Ticket number generators (OTRS AutoIncrement, Date, DateChecksum, Random).

Every generator embeds the SystemID. The counters of all scopes (a day for the date
generators, ``all`` for AutoIncrement) are read from one increasing series of draws
(``TicketNumberDraw``: PostgreSQL's sequence, MariaDB's AUTO_INCREMENT, SQLite's
AUTOINCREMENT). A draw never waits for another transaction and is never handed out twice,
even when the transaction that drew it rolls back. Each scope stores once where its counter
starts (``TicketNumberCounter.base``), and a draw's counter in a scope is ``draw - base``.

The counter used to be one row per scope advanced by an upsert in the caller's transaction:
its row lock was held until the ticket was committed, so parallel creations (mail workers,
the web, the API) queued behind each other, one ticket at a time. Now only the first number
of a scope (once a day) writes a row. Numbers stay unique; as in OTRS, a rolled-back creation
leaves a gap, and so does a draw for another day between two of a day's (around midnight).
The unique constraint on ``Ticket.number`` stays the last line of defence.
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

from .models import Ticket, TicketNumberCounter, TicketNumberDraw

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


# How long a draw row stays (MariaDB and SQLite), as OTRS's TicketNumberCounterCleanup.
DRAW_RETENTION = timedelta(minutes=10)


def cleanup_draws(now: datetime | None = None) -> int:
    """Delete the draw rows older than :data:`DRAW_RETENTION` but the newest (MariaDB and
    SQLite keep one row per draw; the newest keeps MariaDB's AUTO_INCREMENT where it is
    across a server restart before 10.2); return how many went. PostgreSQL keeps none."""
    newest = TicketNumberDraw.objects.order_by("-id").values_list("id", flat=True).first()
    if newest is None:
        return 0
    cutoff = (now or timezone.now()) - DRAW_RETENTION
    deleted, _rows = TicketNumberDraw.objects.filter(id__lt=newest, created_at__lt=cutoff).delete()
    return deleted


def checksum_digit(digits: str) -> int:
    """The DateChecksum check digit: weights 1,2,1,2... from the left; 10 becomes 1."""
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(digits))
    check = 10 - total % 10
    return 1 if check == 10 else check


def _system_id() -> str:
    return str(settings.SYSTEM_ID)


def high_water() -> int:
    """A value no later draw can reach (0 before the first): what a new scope's counter
    counts from. It is read from the series itself, not from its rows (a deleted row does
    not lower it): PostgreSQL's sequence, SQLite's ``sqlite_sequence``, MariaDB's
    AUTO_INCREMENT. Not transactional: it sees the draws of uncommitted transactions too."""
    table = TicketNumberDraw._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'id')), 0)",
                [connection.ops.quote_name(table)],
            )
        elif connection.vendor == "mysql":
            # The next value InnoDB hands out (MySQL 8 may report an older one from its
            # statistics cache: lower, so still safe, with a gap).
            cursor.execute(
                "SELECT COALESCE(MAX(AUTO_INCREMENT) - 1, 0) FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                [table],
            )
        else:
            cursor.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table]
            )
        (value,) = cursor.fetchone()
    return int(value)


def _draw(count: int) -> list[int]:
    """``count`` new values of the shared series, increasing."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [connection.ops.quote_name(TicketNumberDraw._meta.db_table), count],
            )
            return sorted(value for (value,) in cursor.fetchall())
    if connection.features.can_return_rows_from_bulk_insert:
        drawn = TicketNumberDraw.objects.bulk_create([TicketNumberDraw() for _ in range(count)])
    else:  # MySQL: its INSERT returns no rows
        drawn = [TicketNumberDraw.objects.create() for _ in range(count)]
    return sorted(draw.pk for draw in drawn)


def _base(scope: str, start_from: Callable[[], int] | None) -> int:
    """Where the counter of ``scope`` starts; set on its first use, from the high water
    mark (less ``start_from()``, where the counter continues an older one)."""
    found = TicketNumberCounter.objects.filter(scope=scope).values_list("base", flat=True)
    base = found.first()
    if base is None:
        initial = start_from() if start_from is not None else 0
        # Several first uses at once: one row wins, the others read it. Every draw for the
        # scope follows the winner's high water mark, so each counts from 1 up.
        TicketNumberCounter.objects.bulk_create(
            [TicketNumberCounter(scope=scope, base=high_water() - initial)],
            ignore_conflicts=True,
        )
        base = TicketNumberCounter.objects.get(scope=scope).base
    return int(base)


def _reserve(scope: str, count: int, *, start_from: Callable[[], int] | None = None) -> list[int]:
    """``count`` counter values of ``scope``; return them (increasing, unique in the scope
    and never handed out again). No row is locked: the draws wait for nothing."""
    with transaction.atomic(savepoint=False):
        base = _base(scope, start_from)
        return [value - base for value in _draw(count)]


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
        values = _reserve(AUTO_SCOPE, count, start_from=_last_auto_increment_counter)
        size = settings.TICKET_NUMBER_MIN_COUNTER_SIZE
        return [f"{_system_id()}{value:0{size}d}" for value in values]

    def pattern(self) -> str:
        return rf"{re.escape(_system_id())}\d{{5,10}}"


class Date(Generator):
    name = "Date"

    def numbers(self, count: int, now: datetime) -> list[str]:
        day = counter_day(now)
        return [f"{day}{_system_id()}{value}" for value in _reserve(day, count)]

    def pattern(self) -> str:
        return rf"\d{{8}}{re.escape(_system_id())}\d{{1,40}}"


class DateChecksum(Generator):
    name = "DateChecksum"

    def numbers(self, count: int, now: datetime) -> list[str]:
        day = counter_day(now)
        result = []
        for value in _reserve(day, count):
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
