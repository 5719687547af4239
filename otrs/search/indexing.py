"""Keeping a search server's index in step: the event handler.

Every committed batch of events reaches :func:`handle` through the durable outbox
(:mod:`otrs.events`): after the commit, in the daemon, at least once, retried with back-off
and visible as failed in the admin when the server stays away. The handler asks each
registered kind (:mod:`otrs.search.registry`) which of its objects the batch touched, and
reindexes just those from the database in one bulk request per kind. That is idempotent
(whole documents by id, deletes of what is gone), so a repeated delivery does no harm, and
it touches only what it must: a merge reindexes the two tickets, a queue's new group
nothing at all (the index holds no permissions).

The handler is subscribed only while the configured backend keeps an index of its own
(``keeps_index``): with the database backend no delivery is made at all.
"""

from __future__ import annotations

from otrs import events

from . import registry
from .backends import get_backend

HANDLER = "search.index"


def affected(batch: events.Batch) -> dict[str, set[int]]:
    """Per kind, the ids the batch touched."""
    found: dict[str, set[int]] = {}
    for indexed in registry.all_indexed():
        ids = {pk for event in batch.events for pk in indexed.affected(event)}
        if ids:
            found[indexed.kind] = ids
    return found


def handle(batch: events.Batch) -> None:
    backend = get_backend()
    if not getattr(backend, "keeps_index", False):
        return
    for kind, ids in affected(batch).items():
        backend.update(kind, ids)  # type: ignore[attr-defined]


def enabled(names: frozenset[str] | None = None) -> bool:
    """Whether batches are worth a delivery: only while the backend keeps an index."""
    return bool(getattr(get_backend(), "keeps_index", False))


def subscribe() -> None:
    # Every event: which ones touch a document is each kind's answer (Indexed.affected).
    # Not atomic: the handler writes to the search server, not to the database.
    events.subscribe(HANDLER, handle, atomic=False, interested=enabled)
