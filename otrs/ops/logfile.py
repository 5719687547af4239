"""The system log the admin reads: the application's log records, one JSON object a line, in
``SYSTEM_LOG_FILE`` (default ``OTRS_VAR_DIR/log/system.jsonl``), and the reader of its tail.

A file, not a table: a record written inside a transaction that rolls back must survive it,
and logging must work while the database is away (that is when the log matters most). Each
web and worker process opens the file for every record and appends one whole line
(``O_APPEND``). With several hosts each keeps its own file: the page shows the host that
answers, and a central log (journald, syslog) stays the place for all of them.

Rotation (``SYSTEM_LOG_ROTATE``), done by whichever process writes first when it is due,
under an exclusive lock (``<file>.lock``, ``flock``) and checked again inside it, so that
two processes never both rotate:

- ``size``: past ``SYSTEM_LOG_MAX_BYTES`` the file becomes ``.1``, ``.1`` becomes ``.2`` and
  so on; ``SYSTEM_LOG_KEEP`` old files are kept.
- ``daily`` / ``weekly``: a file holds one day (one ISO week) in ``TIME_ZONE``, the period
  of its first record; the first record of a new period moves it to ``<file>.2026-03-02``
  (``<file>.2026-W09``); the newest ``SYSTEM_LOG_KEEP`` are kept.
- ``off``: never; for logrotate or the like. As the file is opened for every record, moving
  it away is enough (no ``copytruncate``, no signal).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

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
            if _due(target, record.created) is not None:
                _rotate(target, record.created)
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        except Exception:  # logging must never break the request that logs
            self.handleError(record)


# --- rotation --------------------------------------------------------------------------------

# The period of a file's first record, per file (by inode): read once, not at every record.
_periods: dict[str, tuple[int, str | None]] = {}
_DATED = re.compile(r"\.(\d{4}-\d{2}-\d{2}|\d{4}-W\d{2})(\.\d+)?$")
_NUMBERED = re.compile(r"\.(\d+)$")


def _period(timestamp: float, rotation: str) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=ZoneInfo(settings.TIME_ZONE))
    if rotation == "weekly":
        year, week, _day = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.strftime("%Y-%m-%d")


def _first_period(target: Path, stat: os.stat_result, rotation: str, fresh: bool) -> str | None:
    """The period of the file's first record (of its change time if that cannot be read).
    Cached by inode; the rotation itself reads afresh (an inode may be reused)."""
    key = f"{target}:{rotation}"
    cached = _periods.get(key)
    if not fresh and cached is not None and cached[0] == stat.st_ino:
        return cached[1]
    at: float | None
    try:
        with target.open("rb") as handle:
            first = handle.readline()
        at = datetime.fromisoformat(json.loads(first)["at"]).timestamp()
    except (OSError, ValueError, KeyError, TypeError):
        at = stat.st_mtime if stat.st_size else None
    found = None if at is None else _period(at, rotation)
    _periods[key] = (stat.st_ino, found)
    return found


def _due(target: Path, now: float, *, fresh: bool = False) -> str | None:
    """Why ``target`` must be rotated before a record of ``now`` is written: ``"size"``, the
    period its records belong to, or None."""
    rotation = settings.SYSTEM_LOG_ROTATE
    if rotation == "off":
        return None
    try:
        stat = target.stat()
    except FileNotFoundError:
        return None
    if rotation == "size":
        return "size" if stat.st_size >= settings.SYSTEM_LOG_MAX_BYTES else None
    period = _first_period(target, stat, rotation, fresh)
    return period if period is not None and period != _period(now, rotation) else None


def _rotate(target: Path, now: float) -> None:
    keep = settings.SYSTEM_LOG_KEEP
    lock = os.open(target.with_name(target.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o640)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        due = _due(target, now, fresh=True)  # again: another process may have rotated
        if due == "size":
            for number in range(keep, 0, -1):
                older = target.with_name(f"{target.name}.{number}")
                if older.exists():
                    if number == keep:
                        older.unlink()
                    else:
                        older.replace(target.with_name(f"{target.name}.{number + 1}"))
            target.replace(target.with_name(f"{target.name}.1"))
        elif due is not None:
            name = target.with_name(f"{target.name}.{due}")
            counter = 1
            while name.exists():  # the clock went back: never overwrite a kept file
                name = target.with_name(f"{target.name}.{due}.{counter}")
                counter += 1
            target.replace(name)
            for stale in _dated(target)[keep:]:
                stale.unlink(missing_ok=True)
    finally:
        os.close(lock)  # releases the lock


def _dated(target: Path) -> list[Path]:
    """The files of the time-based rotation, newest first (names sort as their dates)."""
    prefix = len(target.name)
    found = [p for p in target.parent.glob(target.name + ".*") if _DATED.fullmatch(p.name[prefix:])]
    return sorted(found, key=lambda p: p.name, reverse=True)


def generations(target: Path | None = None) -> list[Path]:
    """The rotated files of the log (numbered and dated alike), newest first."""
    target = target or path()
    prefix = len(target.name)
    found = [
        p
        for p in target.parent.glob(target.name + ".*")
        if _NUMBERED.fullmatch(p.name[prefix:]) or _DATED.fullmatch(p.name[prefix:])
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@dataclass(frozen=True)
class Entry:
    at: datetime
    level: str
    logger: str
    message: str
    exception: str


def _read_tail(file: Path, budget: int) -> tuple[list[bytes], int]:
    """The last ``budget`` bytes of ``file`` as lines, and the bytes read."""
    try:
        with file.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - budget))
            return handle.read().splitlines(), min(size, budget)
    except FileNotFoundError:
        return [], 0


def _tail_lines() -> list[bytes]:
    """The end of the log, oldest line first: the current file, and when that is short (just
    rotated) the end of the newest rotated one before it."""
    lines, used = _read_tail(path(), TAIL_BYTES)
    if used < TAIL_BYTES:
        previous = generations()
        if previous:
            older, _used = _read_tail(previous[0], TAIL_BYTES - used)
            lines = older + lines
    return lines


def recent(*, min_level: str = "WARNING", text: str = "", limit: int = 200) -> list[Entry]:
    """The newest records at ``min_level`` or above (containing ``text``), newest first."""
    floor = LEVELS.index(min_level) if min_level in LEVELS else 0
    lines = _tail_lines()
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
