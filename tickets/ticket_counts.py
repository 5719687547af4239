"""The maintained ticket counts per queue, state and lock (:class:`QueueTicketCount`), so the
queue tree, the dashboard and the live counters read a few dozen rows instead of counting
up to a million tickets on every request (as OTRS keeps its ticket index).

Every write that adds, removes or re-keys a ticket applies its change here in the same
transaction: the ticket actions (create, the field changes, merge, delete), ``filldb``'s
batches. The change is one upsert, its rows in key order so two transactions take the
counter rows in the same order. :func:`verify` compares them with a fresh count and
:func:`rebuild` writes a fresh count (``manage.py ticket_counts``), for data written past
the actions (a restore, hand-made SQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import connections, router, transaction
from django.db.models import Count

from .models import QueueTicketCount, Ticket

Key = tuple[int, int, str]


def key_of(ticket: Ticket) -> Key:
    """Where ``ticket`` is counted: its queue, state and lock."""
    return (ticket.queue_id, ticket.state_id, ticket.lock)


def added(ticket: Ticket) -> None:
    """Count the newly inserted ``ticket``."""
    key = key_of(ticket)
    apply({key: 1})
    ticket.count_key = key


def removed(ticket: Ticket) -> None:
    """Stop counting the deleted ``ticket`` (where it was last read)."""
    apply({ticket.count_key or key_of(ticket): -1})


# The ticket's columns the counts are keyed by.
KEY_FIELDS = frozenset({"queue", "state", "lock"})


def changed(ticket: Ticket, old: Key) -> None:
    """Move ``ticket`` from ``old`` (where it was counted before the save) to its queue,
    state and lock as saved."""
    new = key_of(ticket)
    if old != new:
        apply({old: -1, new: 1})
        ticket.count_key = new


def counted_at(ticket: Ticket) -> Key:
    """Where ``ticket`` is counted now: as read (the actions read it under a row lock), else
    as the database says (one query)."""
    if ticket.count_key is not None:
        return ticket.count_key
    queue_id, state_id, lock = (
        Ticket.objects.filter(pk=ticket.pk).values_list("queue_id", "state_id", "lock").get()
    )
    return (queue_id, state_id, lock)


def apply(deltas: Mapping[Key, int], *, using: str | None = None) -> None:
    """Add ``deltas`` to the counts, in one statement (nothing for no change)."""
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    alias = using or router.db_for_write(QueueTicketCount)
    connection = connections[alias]
    table = connection.ops.quote_name(QueueTicketCount._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list = []
    for (queue_id, state_id, lock), n in rows:
        params += [queue_id, state_id, lock, n]
    columns = f"INSERT INTO {table} (queue_id, state_id, {connection.ops.quote_name('lock')}, n)"
    if connection.vendor == "mysql":
        tail = "ON DUPLICATE KEY UPDATE n = n + VALUES(n)"
    else:
        tail = f"ON CONFLICT (queue_id, state_id, {connection.ops.quote_name('lock')}) " + (
            f"DO UPDATE SET n = {table}.n + excluded.n"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"{columns} VALUES {values} {tail}", params)


def count_fresh(*, using: str | None = None) -> dict[Key, int]:
    """The counts as the tickets table says now (one grouped count over every ticket)."""
    rows = (
        Ticket.objects.using(using or router.db_for_read(Ticket))
        .values_list("queue_id", "state_id", "lock")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(q, s, lock): n for q, s, lock, n in rows}


def stored(*, using: str | None = None) -> dict[Key, int]:
    """The maintained counts (rows at zero left out)."""
    rows = (
        QueueTicketCount.objects.using(using or router.db_for_read(QueueTicketCount))
        .exclude(n=0)
        .values_list("queue_id", "state_id", "lock", "n")
    )
    return {(q, s, lock): n for q, s, lock, n in rows}


def verify(*, using: str | None = None) -> dict[Key, tuple[int, int]]:
    """The keys whose maintained count differs from a fresh one: ``{key: (kept, fresh)}``."""
    kept, fresh = stored(using=using), count_fresh(using=using)
    return {
        key: (kept.get(key, 0), fresh.get(key, 0))
        for key in sorted(kept.keys() | fresh.keys())
        if kept.get(key, 0) != fresh.get(key, 0)
    }


def rebuild(*, using: str | None = None) -> int:
    """Replace the maintained counts by a fresh count; return how many keys there are.

    The tickets table is locked against writes meanwhile where the database can (PostgreSQL:
    ``SHARE`` mode, reads go on), so no action's change falls between the count and the
    write."""
    alias = using or router.db_for_write(QueueTicketCount)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Ticket._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        fresh = count_fresh(using=alias)
        QueueTicketCount.objects.using(alias).all().delete()
        apply(fresh, using=alias)
    return len(fresh)


def tally(keys: Iterable[Key]) -> dict[Key, int]:
    """``{key: how many of keys}``, the deltas of a batch of new tickets."""
    return dict(Counter(keys))
