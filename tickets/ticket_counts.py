"""The maintained ticket counts per queue, state and lock (:class:`QueueTicketCount`), so the
queue tree, the dashboard and the live counters read a few dozen rows instead of counting
up to a million tickets on every request (as OTRS keeps its ticket index).

Every write that adds, removes or re-keys a ticket records its change in the same
transaction: the ticket actions (create, the field changes, merge, delete), ``filldb``'s
batches. A change is a new row of :class:`QueueTicketCountDelta` (+1 where the ticket is
counted now, -1 where it was), never an UPDATE of the count itself: an UPDATE would hold
the count's row lock until commit, and every other transaction filing into the same queue
(mail workers, the web) would wait that long. Readers add the changes to the counts
(:func:`stored`, ``selectors.queue_counts``); :func:`fold` moves them into the counts
(every minute from the daemon's beat, and ``manage.py ticket_counts --fold``), so there are
only ever a minute's worth of them.

:func:`verify` compares the counts with a fresh count and :func:`rebuild` writes a fresh
count (``manage.py ticket_counts``), for data written past the actions (a restore,
hand-made SQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import connections, router, transaction
from django.db.models import Count, Sum

from otrs.bulk import insert

from .models import QueueTicketCount, QueueTicketCountDelta, Ticket

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
    """Record ``deltas`` as changes to the counts, in one INSERT (nothing for no change).
    The count rows themselves are not touched, so nothing is locked that another
    transaction would need."""
    rows = [
        QueueTicketCountDelta(queue_id=queue_id, state_id=state_id, lock=lock, n=n)
        for (queue_id, state_id, lock), n in sorted(deltas.items())
        if n
    ]
    if rows:
        alias = using or router.db_for_write(QueueTicketCountDelta)
        # One hand-built statement (no signals on the model): every new ticket writes one.
        insert(QueueTicketCountDelta, rows, using=alias)


def _add_to_counts(deltas: Mapping[Key, int], *, using: str) -> None:
    """Add ``deltas`` to the count rows, in one upsert, its rows in key order (so two
    folds take the rows in the same order)."""
    rows = sorted((key, n) for key, n in deltas.items() if n)
    if not rows:
        return
    connection = connections[using]
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


# How many changes one fold transaction moves; a fold repeats until it finds fewer.
FOLD_BATCH = 1000
# A fold stops after this many batches (a million changes) and leaves the rest to the next
# run, so a flood of writes cannot keep it going for ever.
FOLD_MAX_BATCHES = 1000


class FoldConflict(Exception):
    """A fold deleted fewer changes than it had read and locked: something else removed
    some of them meanwhile. Its transaction is rolled back, nothing is counted twice."""


def _delete_changes(ids: list[int], *, using: str) -> int:
    """Delete the changes ``ids`` (locked by the caller); how many went.

    On MariaDB/MySQL one primary-key DELETE each: with a list, InnoDB may rather scan the
    (small) table, and a scanning DELETE waits for every row another transaction holds
    (a writer's uncommitted change, another fold's batch), so two folds deadlock and a
    fold waits for the writers. A lookup by key touches its own row only."""
    connection = connections[using]
    if connection.vendor != "mysql":
        deleted, _by_model = QueueTicketCountDelta.objects.using(using).filter(pk__in=ids).delete()
        return deleted
    table = connection.ops.quote_name(QueueTicketCountDelta._meta.db_table)
    deleted = 0
    with connection.cursor() as cursor:
        for pk in ids:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608
            deleted += cursor.rowcount
    return deleted


def fold(*, using: str | None = None, batch: int = FOLD_BATCH) -> int:
    """Move the committed changes into the counts; return how many were moved.

    Safe beside the writers and beside another fold: each batch locks the changes it reads
    with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL, MariaDB 10.6+, MySQL 8), so it passes over
    a change whose transaction has not committed yet (it stays for the next run, and no
    writer waits for the fold) and over changes another fold holds; it deletes exactly the
    changes it read, by id, and adds their sum to the counts in the same transaction, so a
    reader sees either the changes or their sum, never both. Only folds write the count
    rows (and :func:`rebuild`), so only folds wait for each other there. SQLite has one
    writer at a time anyway."""
    alias = using or router.db_for_write(QueueTicketCountDelta)
    features = connections[alias].features
    moved = 0
    for _round in range(FOLD_MAX_BATCHES):
        with transaction.atomic(using=alias):
            changes = QueueTicketCountDelta.objects.using(alias).order_by("pk")
            if features.has_select_for_update_skip_locked:
                changes = changes.select_for_update(skip_locked=True)
            rows = list(changes.values_list("pk", "queue_id", "state_id", "lock", "n")[:batch])
            if not rows:
                break
            deleted = _delete_changes([row[0] for row in rows], using=alias)
            if deleted != len(rows):
                raise FoldConflict(f"read {len(rows)} count changes but deleted {deleted}")
            sums: Counter[Key] = Counter()
            for _pk, queue_id, state_id, lock, n in rows:
                sums[(queue_id, state_id, lock)] += n
            # The count rows to change, locked first in key order: two folds at once then
            # queue for them, where two upserts of one existing row deadlock on InnoDB (each
            # takes a shared lock in its duplicate-key check, then wants it exclusive).
            locked = QueueTicketCount.objects.using(alias).filter(
                queue_id__in=sorted({key[0] for key in sums})
            )
            list(
                locked.select_for_update()
                .order_by("queue_id", "state_id", "lock")
                .values_list("pk", flat=True)
            )
            _add_to_counts(sums, using=alias)
        moved += len(rows)
        if len(rows) < batch:
            break
    return moved


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
    """The maintained counts, changes not yet folded included (keys at zero left out); one
    query."""
    alias = using or router.db_for_read(QueueTicketCount)
    counts = QueueTicketCount.objects.using(alias).values_list("queue_id", "state_id", "lock", "n")
    changes = (
        QueueTicketCountDelta.objects.using(alias)
        .values("queue_id", "state_id", "lock")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("queue_id", "state_id", "lock", "total")
    )
    result: Counter[Key] = Counter()
    for queue_id, state_id, lock, n in counts.union(changes, all=True):
        result[(queue_id, state_id, lock)] += int(n)
    return {key: n for key, n in result.items() if n}


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
    write. MariaDB has no such lock here: rebuild there while no ticket is written (a
    transaction that commits a change meanwhile may be counted twice or not at all; the
    next ``--verify`` tells)."""
    alias = using or router.db_for_write(QueueTicketCount)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(Ticket._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
        fresh = count_fresh(using=alias)
        QueueTicketCountDelta.objects.using(alias).all().delete()
        QueueTicketCount.objects.using(alias).all().delete()
        _add_to_counts(fresh, using=alias)
    return len(fresh)


def tally(keys: Iterable[Key]) -> dict[Key, int]:
    """``{key: how many of keys}``, the deltas of a batch of new tickets."""
    return dict(Counter(keys))
