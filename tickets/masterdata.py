"""Master data that every inbound mail reads, cached per worker process.

The postmaster reads the same few rows for every message: the system user, the default
state, priority and type, the follow-up state, the states and queues of the tickets it
touches, the system addresses it dispatches by, the postmaster filters and the queues' auto
responses. Reading them from the database costs about ten queries a mail; here they are
loaded once per process and kept until they change.

How a change reaches every process: a shared *version token* lives in Django's cache
(``CACHES["default"]``: the file cache under ``var/`` or Redis, both shared by the processes
of one site). Saving or deleting any of the cached models (the ``post_save``/``post_delete``
receivers below) sets a new token, at once and again when the change commits (so a process
that reloaded between the two cannot keep the old rows under the new token), and forgets this
process's copy. Every reader compares its copy's token with the shared one (one cache read)
and reloads on a difference, so the next mail after a change sees it, in whichever process.
A change that bypasses the model signals (``QuerySet.update()``, raw SQL) must call
:func:`invalidate` itself. If the shared cache loses the token (eviction, a restart), every
process reloads once: a lost token never leaves stale data.

The instances handed out are shared between the mails a process handles: read them, never
change and save them.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from otrs.accounts.models import SYSTEM_USERNAME, User, UserKind

from .choices import StateType
from .models import (
    AutoResponse,
    FilterMatch,
    FilterSet,
    PostmasterFilter,
    Priority,
    Queue,
    QueueAutoResponse,
    State,
    SystemAddress,
    TicketType,
)

TOKEN_KEY = "tickets:masterdata:version"  # noqa: S105 - a cache key
# A token is kept for a long time; losing it only costs one reload per process.
TOKEN_TIMEOUT = 30 * 24 * 3600


@dataclass
class CachedFilter:
    """A postmaster filter with its rules, loaded once (patterns compiled on first use)."""

    name: str
    stop: bool
    matches: list[FilterMatch]
    sets: list[FilterSet]
    compiled: dict[int, re.Pattern | None] = field(default_factory=dict)


@dataclass
class _Snapshot:
    token: str
    system_user: User
    states: dict[int, State]
    priorities: dict[int, Priority]
    types: dict[int, TicketType]
    queues: dict[int, Queue]
    system_addresses: dict[str, SystemAddress]
    filters: list[CachedFilter]
    # (queue id, response type) -> the valid auto response of that type linked to the queue
    auto_responses: dict[tuple[int, str], AutoResponse]

    def default_state(self) -> State | None:
        valid = [s for s in sorted(self.states.values(), key=lambda s: s.pk) if s.is_valid]
        named = [s for s in valid if s.name == "new"]
        if named:
            return named[0]
        return next((s for s in valid if s.state_type == StateType.NEW), None)


# One copy per thread (a worker process handles one mail at a time per thread).
_local = threading.local()


def _shared_token() -> str:
    token = cache.get(TOKEN_KEY)
    if token is None:
        token = uuid.uuid4().hex
        # add(): two processes that both found no token agree on the first one written.
        if not cache.add(TOKEN_KEY, token, TOKEN_TIMEOUT):
            token = cache.get(TOKEN_KEY) or token
    return token


def _load(token: str) -> _Snapshot:
    system = User.objects.get(username=SYSTEM_USERNAME, kind=UserKind.SYSTEM)
    queues = {q.pk: q for q in Queue.objects.select_related("system_address", "group")}
    addresses = {}
    for address in SystemAddress.objects.all():
        address.queue = queues[address.queue_id]
        addresses[address.email] = address
    for queue in queues.values():
        if queue.system_address_id is not None:
            queue.system_address = next(
                a for a in addresses.values() if a.pk == queue.system_address_id
            )
    filters = [
        CachedFilter(flt.name, flt.stop, list(flt.matches.all()), list(flt.sets.all()))
        for flt in PostmasterFilter.objects.filter(is_valid=True)
        .prefetch_related("matches", "sets")
        .order_by("name")
    ]
    responses: dict[tuple[int, str], AutoResponse] = {}
    links = QueueAutoResponse.objects.select_related("auto_response__system_address").filter(
        auto_response__is_valid=True
    )
    for link in links.order_by("pk"):
        if link.auto_response.response_type == link.response_type:
            responses.setdefault((link.queue_id, link.response_type), link.auto_response)
    return _Snapshot(
        token=token,
        system_user=system,
        states={s.pk: s for s in State.objects.all()},
        priorities={p.pk: p for p in Priority.objects.all()},
        types={t.pk: t for t in TicketType.objects.all()},
        queues=queues,
        system_addresses=addresses,
        filters=filters,
        auto_responses=responses,
    )


def snapshot() -> _Snapshot:
    """This process's copy, reloaded when the shared token changed.

    The token is read once per transaction: a mail's several readers (system user, states,
    queues, filters, auto responses) share the first check, so a mail sees one consistent
    copy and pays one cache read. A change made here forgets the copy at once (``invalidate``).
    """
    current: _Snapshot | None = getattr(_local, "snapshot", None)
    if current is not None and _checked_in_this_transaction():
        return current
    token = _shared_token()
    _remember_check()
    if current is not None and current.token == token:
        return current
    current = _load(token)
    # Rows changed by a transaction still open here may yet roll back: a copy read in it
    # serves this transaction only.
    pending = getattr(_local, "pending_block", None)
    if pending is None or not any(b is pending for b in _connection().atomic_blocks):
        _local.snapshot = current
        _local.pending_block = None
    return current


def _connection():
    return transaction.get_connection()


def _checked_in_this_transaction() -> bool:
    """Whether the token was read in the transaction in progress: its marker (a commit hook
    that does nothing) is still queued on the outermost block that read it. A commit or
    rollback drops the queued hooks, so the next transaction reads the token again."""
    marker = getattr(_local, "check_marker", None)
    if marker is None:
        return False
    block = _outermost_block()
    if block is None or block is not _local.check_block:
        return False
    return any(entry[1] is marker for entry in _connection().run_on_commit)


def _remember_check() -> None:
    block = _outermost_block()
    if block is None:
        _local.check_marker = _local.check_block = None
        return

    def marker() -> None:
        pass

    transaction.on_commit(marker)
    _local.check_marker, _local.check_block = marker, block


def _outermost_block():
    """The outermost atomic block of the code in progress (a test case's does not count)."""
    for block in _connection().atomic_blocks:
        if not getattr(block, "_from_testcase", False):
            return block
    return None


def invalidate(**_kwargs) -> None:
    """Tell every process that master data changed (now, and again after the commit)."""
    _local.snapshot = None
    cache.set(TOKEN_KEY, uuid.uuid4().hex, TOKEN_TIMEOUT)
    block = _outermost_block()
    if block is not None:
        _local.pending_block = block
        transaction.on_commit(_bump_after_commit)


def _bump_after_commit() -> None:
    _local.snapshot = None
    _local.pending_block = None
    cache.set(TOKEN_KEY, uuid.uuid4().hex, TOKEN_TIMEOUT)


def _user_changed(sender, instance: User, **_kwargs) -> None:
    if instance.username == SYSTEM_USERNAME or instance.kind == UserKind.SYSTEM:
        invalidate()


CACHED_MODELS = (
    State,
    Priority,
    TicketType,
    Queue,
    SystemAddress,
    PostmasterFilter,
    FilterMatch,
    FilterSet,
    AutoResponse,
    QueueAutoResponse,
)


def connect() -> None:
    """Wire the invalidation (called from the tickets app's ``ready()``)."""
    for model in CACHED_MODELS:
        uid = f"tickets.masterdata.{model.__name__}"
        post_save.connect(invalidate, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"{uid}.delete")
    post_save.connect(_user_changed, sender=User, dispatch_uid="tickets.masterdata.user.save")
    post_delete.connect(_user_changed, sender=User, dispatch_uid="tickets.masterdata.user.delete")


# --- readers -----------------------------------------------------------------------------------


def system_user() -> User:
    return snapshot().system_user


def state(pk: int) -> State:
    found = snapshot().states.get(pk)
    return found if found is not None else State.objects.get(pk=pk)


def queue(pk: int) -> Queue:
    found = snapshot().queues.get(pk)
    return found if found is not None else Queue.objects.select_related("system_address").get(pk=pk)


def default_state() -> State | None:
    return snapshot().default_state()


def default_priority() -> Priority | None:
    """Level 3 (valid or not, as OTRS's default), else the first valid by level."""
    ordered = sorted(snapshot().priorities.values(), key=lambda p: (p.level, p.pk))
    three = [p for p in ordered if p.level == 3]
    if three:
        return three[0]
    return next((p for p in ordered if p.is_valid), None)


def default_type() -> TicketType | None:
    valid = [t for t in snapshot().types.values() if t.is_valid]
    default = [t for t in sorted(valid, key=lambda t: t.name) if t.is_default]
    if default:
        return default[0]
    return min(valid, key=lambda t: t.pk) if valid else None


def valid_state(name: str = "", state_type: str = "") -> State | None:
    """The valid state called ``name``, else the first valid one of ``state_type`` (by name,
    the model's order)."""
    valid = sorted((s for s in snapshot().states.values() if s.is_valid), key=lambda s: s.name)
    if name:
        named = next((s for s in valid if s.name == name), None)
        if named is not None:
            return named
    if state_type:
        return next((s for s in valid if s.state_type == state_type), None)
    return None


def dispatch_queue(recipients: list[str]) -> Queue | None:
    """The queue of the first recipient that is a valid system address of a valid queue."""
    addresses = snapshot().system_addresses
    for address in recipients:
        found = addresses.get(address)
        if found is not None and found.is_valid and found.queue.is_valid:
            return found.queue
    return None


def default_queue() -> Queue | None:
    """POSTMASTER_DEFAULT_QUEUE if valid, else the valid queue with the lowest id."""
    valid = sorted((q for q in snapshot().queues.values() if q.is_valid), key=lambda q: q.pk)
    named = next((q for q in valid if q.full_name == settings.POSTMASTER_DEFAULT_QUEUE), None)
    return named or (valid[0] if valid else None)


def postmaster_filters() -> list[CachedFilter]:
    return snapshot().filters


def auto_response(queue_id: int, response_type: str) -> AutoResponse | None:
    return snapshot().auto_responses.get((queue_id, response_type))
