"""Who hears of which events.

An app subscribes its handlers in its ``AppConfig.ready()``::

    events.subscribe("faq.reindex", reindex, events=[TicketEvent.TICKET_CREATE])

The name is stable: it is stored on each delivery row, so renaming a handler orphans its
pending deliveries (they fail with "no handler"). ``events=None`` subscribes to every event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from .types import Batch


@dataclass(frozen=True)
class Handler:
    name: str
    func: Callable[[Batch], None]
    # None: every event.
    events: frozenset[str] | None
    # Run inside a transaction that also marks the delivery done (see otrs.events.delivery).
    atomic: bool = True

    def wants(self, name: str) -> bool:
        return self.events is None or name in self.events


_handlers: dict[str, Handler] = {}


def subscribe(
    name: str,
    func: Callable[[Batch], None],
    *,
    events: Iterable[StrEnum | str] | None = None,
    atomic: bool = True,
) -> Handler:
    """Register ``func`` under ``name`` for ``events`` (None: all). Subscribing the same
    function again under the same name is harmless (``ready()`` may run twice in tests);
    another function under a taken name is a programming error."""
    handler = Handler(
        name=name,
        func=func,
        events=None if events is None else frozenset(str(e) for e in events),
        atomic=atomic,
    )
    existing = _handlers.get(name)
    if existing is not None and existing.func is not func:
        raise ValueError(f"An event handler named {name!r} is already registered.")
    _handlers[name] = handler
    return handler


def unsubscribe(name: str) -> None:
    _handlers.pop(name, None)


def get(name: str) -> Handler | None:
    return _handlers.get(name)


def handlers() -> list[Handler]:
    return sorted(_handlers.values(), key=lambda h: h.name)


def wanting(names: Iterable[str]) -> list[Handler]:
    """The handlers subscribed to at least one of ``names``."""
    names = set(names)
    return [h for h in handlers() if h.events is None or h.events & names]


@contextmanager
def isolated() -> Iterator[None]:
    """Subscriptions made or removed inside the block are undone at its end (for tests)."""
    saved = dict(_handlers)
    try:
        yield
    finally:
        _handlers.clear()
        _handlers.update(saved)
