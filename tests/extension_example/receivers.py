"""The example extension's event handler: it hears of new tickets like any core app does."""

from __future__ import annotations

from otrs.events import Batch

HANDLER = "extension_example.new_tickets"

# The ticket ids heard of, in this process (the checks read it).
heard: list[int] = []


def on_new_tickets(batch: Batch) -> None:
    heard.extend(event.object_id for event in batch.events)
