"""The daemon: the counter cleanup task, its default beat schedule, and a real worker and beat.

The last two tests start ``celery worker`` and ``celery beat`` as separate processes, as the
systemd units do, on a database and filesystem broker of their own under a temporary
OTRS_VAR_DIR, so they do not depend on (or touch) the test database of this process.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from otrs.celery import app
from tickets.models import TicketNumberCounter
from tickets.tasks import cleanup_ticket_number_counters

SCHEDULE_NAME = "Ticket number counter cleanup"
TASK_NAME = "tickets.tasks.cleanup_ticket_number_counters"
BASE_DIR = Path(__file__).resolve().parent.parent


def _scopes() -> list[str]:
    return sorted(TicketNumberCounter.objects.values_list("scope", flat=True))


def _counters(*scopes: str) -> None:
    for scope in scopes:
        TicketNumberCounter.objects.create(scope=scope, base=7)


# --- the task, called directly ----------------------------------------------------------------


def test_cleanup_deletes_date_counters_before_yesterday(db, time_machine):
    time_machine.move_to(datetime(2024, 3, 1, 12, 0, tzinfo=UTC), tick=False)
    _counters("all", "20231231", "20240228", "20240229", "20240301", "20240302")

    assert cleanup_ticket_number_counters() == 2

    # "all" is AutoIncrement's counter; yesterday's and today's rows may still be in use, and
    # a row dated tomorrow (a host ahead of this one) is not old either.
    assert _scopes() == ["20240229", "20240301", "20240302", "all"]


def test_cleanup_is_safe_to_run_twice(db, time_machine):
    time_machine.move_to(datetime(2024, 3, 1, 12, 0, tzinfo=UTC), tick=False)
    _counters("all", "20240101", "20240229", "20240301")

    assert cleanup_ticket_number_counters() == 1
    assert cleanup_ticket_number_counters() == 0
    assert _scopes() == ["20240229", "20240301", "all"]
    assert TicketNumberCounter.objects.get(scope="20240301").base == 7


def test_cleanup_leaves_scopes_that_are_not_days(db, time_machine):
    time_machine.move_to(datetime(2024, 3, 1, 12, 0, tzinfo=UTC), tick=False)
    _counters("all", "2024010", "000000001", "legacy")

    assert cleanup_ticket_number_counters() == 0
    assert _scopes() == ["000000001", "2024010", "all", "legacy"]


def test_cleanup_counts_days_in_the_site_time_zone(db, time_machine, settings):
    """The generators name a day's scope by the date in TIME_ZONE, so the cleanup does too,
    whatever time zone the current request has activated."""
    # 20:00 UTC on 1 March is already 10:00 on 2 March in UTC+14.
    settings.TIME_ZONE = "Pacific/Kiritimati"
    time_machine.move_to(datetime(2024, 3, 1, 20, 0, tzinfo=UTC), tick=False)
    _counters("20240229", "20240301", "20240302")

    with timezone.override(ZoneInfo("America/New_York")):
        assert cleanup_ticket_number_counters() == 1
    assert _scopes() == ["20240301", "20240302"]


# --- the default schedule -----------------------------------------------------------------------


def test_migrations_schedule_the_cleanup_every_ten_minutes(db):
    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    assert task.task == TASK_NAME
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (10, IntervalSchedule.MINUTES)
    assert task.crontab is None
    assert task.solar is None
    assert task.clocked is None


def test_the_scheduled_name_is_a_task_the_worker_knows():
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert TASK_NAME in app.tasks


def test_the_schedule_migration_keeps_an_edited_task(db):
    """Running the defaults again (or on an edited database) neither duplicates nor resets."""
    migration = importlib.import_module("otrs.daemon.migrations.0001_default_schedules")
    task = PeriodicTask.objects.get(name=SCHEDULE_NAME)
    task.enabled = False
    task.save()

    migration.create_schedules(apps, None)

    assert PeriodicTask.objects.filter(name=SCHEDULE_NAME).count() == 1
    assert not PeriodicTask.objects.get(name=SCHEDULE_NAME).enabled
    assert IntervalSchedule.objects.filter(every=10, period="minutes").count() == 1


# --- a real worker and beat -----------------------------------------------------------------------

SETUP = "import django\ndjango.setup()\n"
SEED_OLD_COUNTER = """
from tickets.models import TicketNumberCounter
TicketNumberCounter.objects.get_or_create(scope={scope!r})
"""
TODAY_AND_YESTERDAY = """
from datetime import timedelta
from datetime import datetime
from django.utils import timezone
from tickets.models import TicketNumberCounter
from tickets.numbers import counter_day
today = datetime.strptime(counter_day(timezone.now()), "%Y%m%d")
for day in (today, today - timedelta(days=1)):
    TicketNumberCounter.objects.get_or_create(scope=day.strftime("%Y%m%d"))
TicketNumberCounter.objects.get_or_create(scope="all")
"""
PRINT_SCOPES = """
from tickets.models import TicketNumberCounter
print(" ".join(sorted(TicketNumberCounter.objects.values_list("scope", flat=True))))
"""
SEND_BY_SCHEDULED_NAME = """
from django_celery_beat.models import PeriodicTask
from otrs.celery import app
task = PeriodicTask.objects.get(name={name!r})
print(app.send_task(task.task).id)
"""
MAKE_SCHEDULE_DUE = """
from datetime import timedelta
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
PeriodicTask.objects.filter(name={name!r}).update(last_run_at=timezone.now() - timedelta(hours=1))
"""


def _start_celery(*args: str, env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "otrs", *args, "--loglevel=INFO"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so it can be ended whole
        )


def _successes(log: Path) -> int:
    """How many runs of the cleanup task a worker log reports as succeeded."""
    lines = log.read_text().splitlines()
    return sum(1 for line in lines if f"Task {TASK_NAME}[" in line and "] succeeded" in line)


@dataclass
class Daemon:
    var_dir: Path
    env: dict[str, str]
    worker_log: Path
    worker: subprocess.Popen

    def python(self, code: str) -> str:
        """Run ``code`` in a fresh process with these settings; return what it printed."""
        done = subprocess.run(
            [sys.executable, "-c", SETUP + code],
            cwd=self.var_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM), then SIGKILL to the process's own group if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_for(
    condition: Callable[[], bool], what: str, *, logs: list[Path], alive: list[subprocess.Popen]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if condition():
            return
        if any(p.poll() is not None for p in alive):
            break
        time.sleep(0.25)
    dump = "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)
    pytest.fail(f"timed out or a process died waiting for {what}\n{dump}")


@pytest.fixture(scope="module")
def daemon(tmp_path_factory, migrated_sqlite) -> Iterator[Daemon]:
    var_dir = tmp_path_factory.mktemp("daemon-var")
    env = dict(os.environ)
    env.update(
        OTRS_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{migrated_sqlite(var_dir)}",
        CELERY_BROKER_URL="filesystem://",
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BASE_DIR), env.get("PYTHONPATH")])),
    )
    env.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")

    worker_log = var_dir / "worker.log"
    worker = _start_celery(
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "--hostname=test@%h",
        env=env,
        cwd=var_dir,
        log=worker_log,
    )
    try:
        yield Daemon(var_dir, env, worker_log, worker)
    finally:
        _stop(worker)


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_a_worker_runs_the_cleanup_sent_from_another_process(daemon):
    daemon.python(TODAY_AND_YESTERDAY + SEED_OLD_COUNTER.format(scope="20000101"))
    # Sent under the name stored in the schedule row, as beat would send it.
    task_id = daemon.python(SEND_BY_SCHEDULED_NAME.format(name=SCHEDULE_NAME)).splitlines()[-1]

    _wait_for(
        lambda: f"[{task_id}] succeeded" in daemon.worker_log.read_text(),
        f"task {task_id} to succeed",
        logs=[daemon.worker_log],
        alive=[daemon.worker],
    )
    scopes = daemon.python(PRINT_SCOPES).split()
    assert "20000101" not in scopes
    assert "all" in scopes
    assert len(scopes) == 3  # all, today, yesterday


@pytest.mark.slow
@pytest.mark.own_sqlite
def test_beat_sends_the_scheduled_cleanup_to_the_worker(daemon):
    daemon.python(
        SEED_OLD_COUNTER.format(scope="20000102") + MAKE_SCHEDULE_DUE.format(name=SCHEDULE_NAME)
    )
    runs_before = _successes(daemon.worker_log)
    beat_log = daemon.var_dir / "beat.log"
    beat = _start_celery(
        "beat",
        "--scheduler",
        "django_celery_beat.schedulers:DatabaseScheduler",
        env=daemon.env,
        cwd=daemon.var_dir,
        log=beat_log,
    )
    try:
        _wait_for(
            lambda: _successes(daemon.worker_log) > runs_before,
            "beat to send the due cleanup and the worker to run it",
            logs=[beat_log, daemon.worker_log],
            alive=[beat, daemon.worker],
        )
    finally:
        _stop(beat)

    assert f"Sending due task {SCHEDULE_NAME} ({TASK_NAME})" in beat_log.read_text()
    assert "20000102" not in daemon.python(PRINT_SCOPES).split()
