"""What an event is, and what a handler is given: plain data, no models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Event:
    """One thing that happened to one object, as an action records it.

    ``name`` is a member of the recording app's event enum (a :class:`~enum.StrEnum`, such
    as ``TicketEvent.TICKET_CREATE``, whose value is the OTRS event name); ``object_type``
    and ``object_id`` say what changed (``"ticket"``, 42); ``actor_id`` is the user who
    changed it; ``payload`` holds raw values (ids, codes, ISO timestamps) that JSON can
    carry. ``id`` and ``position`` are set on events read back from the outbox.
    """

    name: StrEnum | str
    object_type: str
    object_id: int | None
    actor_id: int | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None
    position: int | None = None


@dataclass(frozen=True)
class Batch:
    """What a handler gets: the events of one committed change that it subscribed to, in
    the order they were recorded.

    ``key`` is the same every time this batch is delivered to this handler (a retry, a
    redelivery after a crash), so a handler that creates something can name it by the key
    (or the key plus an event's ``id``) and skip it when it already exists.
    """

    id: int
    key: str
    handler: str
    attempt: int
    events: tuple[Event, ...]
