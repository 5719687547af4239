"""What can be sent to a webhook: each app registers its events, filters and payload.

A domain app names its events to the webhooks in ``<app>/api/webhooks.py`` (found by
:class:`otrs.webhooks.apps.WebhooksConfig`), for example::

    webhooks.register(
        webhooks.Source(
            object_type="ticket",
            label=_("Tickets"),
            events=list(TicketEvent),
            filters=[webhooks.Filter("queue", _("Queues"), queue_choices, ticket_queues)],
            describe=describe_tickets,
        )
    )

A *filter* offers the admin a choice of values (``choices()``: ``[(value, label)]``) and tells
each object's current value (``values(ids)``: ``{id: value}``); a hook that chose values for a
filter hears only of objects whose value is one of them. ``describe(ids)`` gives each object's
data for the payload (plain JSON values), so a receiver needs no second call. This package
imports no domain app: the apps bring their knowledge here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Filter:
    key: str
    label: Any
    choices: Callable[[], Iterable[tuple[Any, Any]]]
    values: Callable[[set[int]], Mapping[int, Any]]


@dataclass(frozen=True)
class Source:
    object_type: str
    label: Any
    events: list[StrEnum | str]
    filters: list[Filter] = field(default_factory=list)
    describe: Callable[[set[int]], Mapping[int, Mapping[str, Any]]] | None = None

    @property
    def event_names(self) -> list[str]:
        return [str(name) for name in self.events]

    def filter_key(self, flt: Filter) -> str:
        """The key under which a hook keeps its choice for ``flt`` (``ticket.queue``)."""
        return f"{self.object_type}.{flt.key}"


_sources: dict[str, Source] = {}


def register(source: Source) -> Source:
    _sources[source.object_type] = source
    return source


def sources() -> list[Source]:
    return list(_sources.values())


def source_for(object_type: str) -> Source | None:
    return _sources.get(object_type)


def event_choices() -> list[tuple[Any, list[tuple[str, str]]]]:
    """Every event a hook may choose, grouped by the object type's label."""
    return [(s.label, [(name, name) for name in s.event_names]) for s in sources()]


def known_events() -> set[str]:
    return {name for s in sources() for name in s.event_names}
