"""Rotation of the system log (``SYSTEM_LOG_ROTATE``): by size with numbered generations, by
day or week with dated files, or not at all; several processes writing at once lose no
line and never rotate twice; the admin's reader goes on into the previous file."""

from __future__ import annotations

import json
import logging
import multiprocessing
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from otrs.ops import logfile

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def log(settings, tmp_path):
    """A private log file and a handler writing to it (as settings' LOGGING does)."""
    settings.SYSTEM_LOG_FILE = tmp_path / "system.jsonl"
    settings.SYSTEM_LOG_KEEP = 3
    handler = logfile.JsonLinesHandler()

    def write(message: str, level: int = logging.WARNING) -> None:
        handler.emit(logging.LogRecord("otrs.rotation_test", level, __file__, 1, message, (), None))

    return write


def messages(path) -> list[str]:
    return [json.loads(line)["message"] for line in path.read_text().splitlines()]


def test_by_size_it_numbers_the_old_files_and_keeps_as_many_as_configured(log, settings):
    settings.SYSTEM_LOG_ROTATE = "size"
    settings.SYSTEM_LOG_MAX_BYTES = 2000
    for number in range(200):
        log(f"size-{number:04d}")
    current = settings.SYSTEM_LOG_FILE
    names = sorted(p.name for p in current.parent.iterdir() if p.name != "system.jsonl.lock")
    assert names == ["system.jsonl", "system.jsonl.1", "system.jsonl.2", "system.jsonl.3"]
    kept = [current.with_name(f"system.jsonl.{n}") for n in (3, 2, 1)] + [current]
    for file in kept[:-1]:
        # Rotated at the first record past the limit: never much more than it.
        assert 2000 <= file.stat().st_size < 2000 + 200
    # The kept files hold the newest records, in order, without a gap.
    found = [message for file in kept for message in messages(file)]
    assert found == [f"size-{n:04d}" for n in range(200 - len(found), 200)]
    assert len(found) >= 3 * 11  # three full files and the current one


def test_daily_each_file_holds_one_day_in_the_sites_time_zone(log, settings):
    settings.SYSTEM_LOG_ROTATE = "daily"
    settings.TIME_ZONE = "Europe/Berlin"
    settings.SYSTEM_LOG_MAX_BYTES = 100  # the size does not matter now
    start = datetime(2026, 3, 1, 22, 30, tzinfo=BERLIN)
    with time_machine.travel(start, tick=False) as clock:
        log("sunday evening")
        clock.shift(timedelta(hours=1))
        log("sunday night")
        clock.shift(timedelta(hours=1))
        log("monday 00:30")  # 23:30 on Sunday in UTC: a new day in Berlin only
        current = settings.SYSTEM_LOG_FILE
        assert messages(current.with_name("system.jsonl.2026-03-01")) == [
            "sunday evening",
            "sunday night",
        ]
        for day in range(2, 7):
            clock.shift(timedelta(days=1))
            log(f"day {day}")
    assert messages(current) == ["day 6"]
    dated = sorted(p.name for p in current.parent.glob("system.jsonl.2026-*"))
    # Three kept: the days before the current one.
    assert dated == [
        "system.jsonl.2026-03-04",
        "system.jsonl.2026-03-05",
        "system.jsonl.2026-03-06",
    ]


def test_weekly_rotates_at_the_iso_week(log, settings):
    settings.SYSTEM_LOG_ROTATE = "weekly"
    settings.TIME_ZONE = "UTC"
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("UTC")), tick=False) as c:
        log("sunday of week 9")
        c.shift(timedelta(days=1))
        log("monday of week 10")
        c.shift(timedelta(days=5))
        log("saturday of week 10")
    current = settings.SYSTEM_LOG_FILE
    assert messages(current.with_name("system.jsonl.2026-W09")) == ["sunday of week 9"]
    assert messages(current) == ["monday of week 10", "saturday of week 10"]


def test_off_leaves_the_file_to_logrotate(log, settings):
    settings.SYSTEM_LOG_ROTATE = "off"
    settings.SYSTEM_LOG_MAX_BYTES = 500
    for number in range(50):
        log(f"off-{number}")
    current = settings.SYSTEM_LOG_FILE
    assert [p.name for p in current.parent.iterdir()] == ["system.jsonl"]
    # Moved away by logrotate, the next record makes a new file (no signal, no copytruncate).
    current.rename(current.with_name("system.jsonl-20260301"))
    log("after logrotate")
    assert messages(current) == ["after logrotate"]


def test_the_reader_goes_on_into_the_previous_file_after_a_rotation(log, settings):
    settings.SYSTEM_LOG_ROTATE = "size"
    settings.SYSTEM_LOG_MAX_BYTES = 1500
    for number in range(12):
        log(f"reader-{number}")
    assert settings.SYSTEM_LOG_FILE.with_name("system.jsonl.1").exists()
    shown = [entry.message for entry in logfile.recent(limit=100)]
    assert shown[0] == "reader-11"
    assert "reader-0" in shown  # in the rotated file


def _write_many(prefix: str, count: int) -> None:
    handler = logfile.JsonLinesHandler()
    for number in range(count):
        record = logging.LogRecord("otrs.rotation_test", logging.WARNING, __file__, 1, "", (), None)
        record.msg = f"{prefix}-{number:04d}"
        handler.emit(record)


def test_processes_writing_at_once_lose_no_line_and_rotate_once_each_time(log, settings):
    settings.SYSTEM_LOG_ROTATE = "size"
    settings.SYSTEM_LOG_MAX_BYTES = 4000
    settings.SYSTEM_LOG_KEEP = 1000  # nothing pruned: every line must be found again
    context = multiprocessing.get_context("fork")  # the children share these settings
    workers = [context.Process(target=_write_many, args=(f"p{n}", 300)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    files = [settings.SYSTEM_LOG_FILE, *logfile.generations()]
    found = [message for file in files for message in messages(file)]  # no torn line
    assert sorted(found) == sorted(f"p{n}-{i:04d}" for n in range(4) for i in range(300))
    # Rotated only when due: every old file reached the limit (none was rotated twice).
    assert all(file.stat().st_size >= 4000 for file in files[1:])
