"""Asking PostgreSQL or MariaDB whether a transaction waits for a lock, for tests that prove
two writers do (or do not) queue behind each other, instead of measuring time."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection, connections, transaction


def backend_id() -> int:
    """This thread's connection as the server knows it (PostgreSQL pid, MariaDB thread id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()"
            if connection.vendor == "postgresql"
            else "SELECT CONNECTION_ID()"
        )
        return cursor.fetchone()[0]


def waiting_for_a_lock(backend) -> bool:
    """Whether the connection ``backend`` waits for a lock now."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                [backend],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM information_schema.INNODB_TRX "
                "WHERE trx_mysql_thread_id = %s AND trx_state = 'LOCK WAIT'",
                [backend],
            )
        return cursor.fetchone()[0] > 0


class Beside:
    """``work`` run in a thread of its own (its own connection) while the caller holds its
    transaction open: :meth:`watch` polls every 0.2 s until the thread is seen waiting for a
    lock or has finished (InnoDB refreshes INNODB_TRX only when it has not been read for
    0.1 s, so faster polling keeps showing the picture from before the wait began)."""

    def __init__(self, work: Callable[[], object]) -> None:
        self.results: list[object] = []
        self.errors: list[BaseException] = []
        self.waited = False
        self._started, self.done = threading.Event(), threading.Event()
        self._backend = 0
        self._work = work
        self.thread = threading.Thread(target=self._run)
        self.thread.start()
        assert self._started.wait(60)

    def _run(self) -> None:
        try:
            self._backend = backend_id()
            self._started.set()
            self.results.append(self._work())
        except BaseException as exc:  # reported to the test
            self.errors.append(exc)
        finally:
            connections.close_all()
            self.done.set()

    def watch(self, rounds: int = 300) -> None:
        for _round in range(rounds):
            if waiting_for_a_lock(self._backend):
                self.waited = True
                return
            if self.done.is_set():
                return
            self.done.wait(0.2)

    def join(self) -> None:
        self.thread.join(60)


def beside_an_open_transaction(hold: Callable[[], object], work: Callable[[], object]) -> Beside:
    """Run ``hold`` in a transaction and, while it is still open, ``work`` beside it (its own
    thread and connection); assert that ``work`` did not fail, did not wait for a lock and
    had finished before ``hold``'s transaction committed. Returns the :class:`Beside`."""
    with transaction.atomic():
        hold()
        beside = Beside(work)
        beside.watch()
        # Still inside the transaction: the other one has committed already.
        finished_before = beside.done.is_set()
    beside.join()
    assert not beside.errors, beside.errors
    assert not beside.waited, "the work beside waited for a lock held by the open transaction"
    assert finished_before
    return beside
