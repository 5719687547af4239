"""The system log the admin reads: the application's log records, one JSON object a line, in
``SYSTEM_LOG_FILE`` (default ``OTRS_VAR_DIR/log/system.jsonl``), and the reader of its tail.

A file, not a table: a record written inside a transaction that rolls back must survive it,
and logging must work while the database is away (that is when the log matters most). Each
web and worker process appends whole lines (``O_APPEND``); at ``MAX_BYTES`` the file moves
to ``.1`` (one generation kept). With several hosts each keeps its own file: the page shows
the host that answers, and a central log (journald, syslog) stays the place for all of them.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

MAX_BYTES = 10 * 1024 * 1024
# The reader looks at most at this much of the file's end.
TAIL_BYTES = 2 * 1024 * 1024
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


_FORMATTER = logging.Formatter()


def path() -> Path:
    return Path(settings.SYSTEM_LOG_FILE)


class JsonLinesHandler(logging.Handler):
    """Appends each record as one JSON line to :func:`path` (read at every record, so a
    changed setting applies at once)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = json.dumps(
                {
                    "at": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
                    "level": record.levelname,
                    "logger": record.name,
                    "message": record.getMessage()[:4000],
                    "exception": _FORMATTER.formatException(record.exc_info)[-8000:]
                    if record.exc_info
                    else "",
                    "process": record.process,
                },
                ensure_ascii=False,
            )
            target = path()
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                if target.stat().st_size > MAX_BYTES:
                    target.replace(target.with_name(target.name + ".1"))
            except FileNotFoundError:
                pass
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        except Exception:  # logging must never break the request that logs
            self.handleError(record)


@dataclass(frozen=True)
class Entry:
    at: datetime
    level: str
    logger: str
    message: str
    exception: str


def recent(*, min_level: str = "WARNING", text: str = "", limit: int = 200) -> list[Entry]:
    """The newest records at ``min_level`` or above (containing ``text``), newest first."""
    floor = LEVELS.index(min_level) if min_level in LEVELS else 0
    try:
        with path().open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    needle = text.casefold()
    found: deque[Entry] = deque(maxlen=limit)
    for raw in lines:
        try:
            data = json.loads(raw)
            level = str(data["level"])
            entry = Entry(
                at=datetime.fromisoformat(data["at"]),
                level=level,
                logger=str(data.get("logger", "")),
                message=str(data.get("message", "")),
                exception=str(data.get("exception", "")),
            )
        except (ValueError, KeyError, TypeError):
            continue  # a torn first line of the tail, or a line from something else
        if level in LEVELS and LEVELS.index(level) < floor:
            continue
        if needle and needle not in f"{entry.logger} {entry.message}".casefold():
            continue
        found.append(entry)
    return list(reversed(found))
