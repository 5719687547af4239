"""Who hears of which events.

An app subscribes its handlers in its ``AppConfig.ready()``::

    events.subscribe("faq.reindex", reindex, events=[TicketEvent.TICKET_CREATE])

The name is stable: it is stored on each delivery row, so renaming a handler orphans its
pending deliveries (they fail with "no handler"). ``events=None`` subscribes to every event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from .types import Batch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    name: str
    func: Callable[[Batch], None]
    # None: every event.
    events: frozenset[str] | None
    # Run inside a transaction that also marks the delivery done (see otrs.events.delivery).
    atomic: bool = True
    # Asked when a batch is dispatched, with the batch's event names: False means this
    # handler has nothing to do for them now (no rule of its own names them), and the batch
    # gets no delivery for it. None: always interested.
    interested: Callable[[frozenset[str]], bool] | None = None

    def wants(self, name: str) -> bool:
        return self.events is None or name in self.events

    def wants_batch(self, names: frozenset[str]) -> bool:
        """Whether a batch with these event names is worth a delivery to this handler. A
        question that fails is answered yes: a delivery too many costs a query, one too few
        loses work."""
        if self.interested is None:
            return True
        try:
            return bool(self.interested(names))
        except Exception:
            logger.exception("Event handler %s: could not tell its interest; delivering", self.name)
            return True


_handlers: dict[str, Handler] = {}


def subscribe(
    name: str,
    func: Callable[[Batch], None],
    *,
    events: Iterable[StrEnum | str] | None = None,
    atomic: bool = True,
    interested: Callable[[frozenset[str]], bool] | None = None,
) -> Handler:
    """Register ``func`` under ``name`` for ``events`` (None: all). ``interested``: see
    :attr:`Handler.interested` (a handler driven by rules that admins make, such as
    GenericAgent's event jobs, costs nothing while no rule names the events). Subscribing
    the same function again under the same name is harmless (``ready()`` may run twice in
    tests); another function under a taken name is a programming error."""
    handler = Handler(
        name=name,
        func=func,
        events=None if events is None else frozenset(str(e) for e in events),
        atomic=atomic,
        interested=interested,
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
