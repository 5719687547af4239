"""The portal's lists as data: one table include (``customer_portal/partials/table.html``)
renders every list (tickets, configuration items), so they look and behave alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Cell:
    """One cell: text, optionally a link, a badge class, or a time (shown localised)."""

    text: Any = ""
    url: str = ""
    badge: str = ""
    time: datetime | None = None


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    key: str = ""  # data-row, for scripts and tests


@dataclass(frozen=True)
class Table:
    caption: Any
    columns: list[Any]
    rows: list[Row] = field(default_factory=list)
    empty: Any = ""
