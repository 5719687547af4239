"""Shared fixtures. The database is whatever DATABASE_URL names (SQLite by default);
`make test` runs the suite against SQLite, PostgreSQL and MariaDB at once."""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
import shutil
import subprocess
import sys
import traceback
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from django.utils import translation

from otrs.celery import app
from otrs.events import registry
from otrs.events.models import OutboxEvent
from tests import factories, fast_rollback
from tests.mail.smtp_server import smtp_server  # noqa: F401 - a fixture

BASE_DIR = Path(__file__).resolve().parents[1]

fast_rollback.install()


def _pretend_clock() -> datetime | None:
    """The instant of OTRS_TESTS_CLOCK (ISO 8601 with an offset), or None when unset."""
    raw = os.environ.get("OTRS_TESTS_CLOCK", "").strip()
    if not raw:
        return None
    try:
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise pytest.UsageError(
            f"OTRS_TESTS_CLOCK={raw!r} is not an ISO 8601 date and time "
            "(e.g. 2026-12-12T03:30:00+00:00)"
        ) from None
    if instant.tzinfo is None:
        raise pytest.UsageError(
            f"OTRS_TESTS_CLOCK={raw!r} has no offset: write it as e.g. 2026-12-12T03:30:00+00:00"
        )
    return instant


def pytest_configure(config):
    """OTRS_TESTS_CLOCK (opt-in): the whole session, collection included and in every xdist
    worker, starts at that instant and the clock ticks on from there (time-machine), so a
    suite can be tried at night, at a weekend or across midnight whenever it is run. Only
    Python's clock moves: the database servers' NOW(), file times and other processes (the
    daemon, manage.py in a subprocess, OpenSSL checking a certificate) keep the real time.
    A test that sets its own time with time-machine still does (the travels nest)."""
    instant = _pretend_clock()
    if instant is not None:
        config._otrs_pretend_clock = time_machine.travel(instant, tick=True)
        config._otrs_pretend_clock.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_otrs_pretend_clock", None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    instant = _pretend_clock()
    if instant is not None:
        return f"OTRS_TESTS_CLOCK: the session starts at {instant.isoformat()}"
    return None


# The fixtures through which a test reaches the database.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}
)


def _reaches_the_database(item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("configured_database"):
        return True
    return bool(_DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items):
    """What the server suites leave to the SQLite suite, listed there as skipped:

    - tests marked ``own_sqlite``, which make a SQLite database of their own in other
      processes whatever DATABASE_URL names: they do the same work on every suite;
    - tests that never reach the database (pytest-django refuses them a connection): parsing,
      settings, the MTA pipe's script, catalogues. A test that reaches the run's database
      in another process says so with ``configured_database``; OTRS_TESTS_EVERYWHERE=1
      runs them on a server suite too.
    """
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    everywhere = os.environ.get("OTRS_TESTS_EVERYWHERE") == "1"
    own = pytest.mark.skip(reason="own SQLite database: the SQLite suite runs it")
    plain = pytest.mark.skip(reason="no database: the SQLite suite runs it")
    for item in items:
        if item.get_closest_marker("own_sqlite"):
            item.add_marker(own)
        elif not everywhere and not _reaches_the_database(item):
            item.add_marker(plain)


@pytest.fixture(scope="session")
def _migrated_sqlite_file(tmp_path_factory) -> Path:
    """A SQLite database migrated by ``manage.py migrate`` in a process of its own, once per
    test process (migrating costs about a minute); use :func:`migrated_sqlite`."""
    var_dir = tmp_path_factory.mktemp("migrated-sqlite")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["OTRS_VAR_DIR"] = str(var_dir)
    done = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return var_dir / "otrs.sqlite3"


@pytest.fixture(scope="session")
def migrated_sqlite(_migrated_sqlite_file):
    """``copy(var_dir)``: a fresh copy of a migrated SQLite database as ``var_dir``'s
    ``otrs.sqlite3`` (the file the settings use when DATABASE_URL is unset and OTRS_VAR_DIR
    is ``var_dir``); returns its path."""

    def copy(var_dir: Path) -> Path:
        target = Path(var_dir) / "otrs.sqlite3"
        shutil.copyfile(_migrated_sqlite_file, target)
        return target

    return copy


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Give this run's test database a name of its own (the process id), so that two runs
    on one machine (a developer's and CI's, or several databases at once) never drop each
    other's database."""
    suffix = f"p{os.getpid()}"
    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        name = test.get("NAME") or f"test_{db['NAME']}"
        if db["ENGINE"].endswith("sqlite3"):
            root, ext = os.path.splitext(name)
            test["NAME"] = f"{root}_{suffix}{ext}"
        else:
            test["NAME"] = f"{name}_{suffix}"


@pytest.fixture
def system_user(db):
    return factories.system()


@pytest.fixture
def support(db):
    """A queue "Support" in group "support", with personas holding different keys on it."""
    grp = factories.group("support")
    q = factories.queue("Support", group_=grp)
    rw_agent = factories.agent("rw_agent")
    factories.grant(rw_agent, grp, factories.RW)
    ro_agent = factories.agent("ro_agent")
    factories.grant(ro_agent, grp, factories.RO)
    outsider = factories.agent("outsider")
    return type(
        "Support",
        (),
        {"group": grp, "queue": q, "rw": rw_agent, "ro": ro_agent, "outsider": outsider},
    )


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """A fresh in-memory cache per test: cache entries (the mail fetching's locks) never leak
    between tests (or from a developer's running system, whose cache is under var/)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _private_system_log(tmp_path_factory):
    """The system log (otrs/ops/logfile.py) of a test run goes to a file of its own, not
    into the checkout's var/log/ (the handler reads the setting at every record)."""
    settings.SYSTEM_LOG_FILE = tmp_path_factory.mktemp("log") / "system.jsonl"
    yield


@pytest.fixture(scope="session", autouse=True)
def _celery_runs_tasks_inline():
    """No broker in tests: ``.delay()`` runs the task at once, in this process (for mail, when
    the test runs the on-commit callbacks, e.g. with ``django_capture_on_commit_callbacks``)."""
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _private_outbox(settings, tmp_path):
    """Outgoing mail goes to a directory of this test, never into the real var/outbox
    (tests that want a real server use the ``smtp_server`` fixture)."""
    settings.OUTGOING_MAIL = {"scheme": "file", "path": str(tmp_path / "outbox")}


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Factories give every user a password; the default hasher takes ~0.3 s per user."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def run_in_processes():
    """Run ``target(*args)`` once per args tuple, each in its own forked OS process, all
    starting together; return their results in order, or fail with the children's tracebacks.

    Use with ``@pytest.mark.django_db(transaction=True, serialized_rollback=True)``: only
    committed rows are visible to the children, which open their own connections to the same
    test database.
    """

    def run(target, args_list, *, timeout: float = 120):
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(len(args_list))
        results = ctx.Queue()

        def child(index, args):
            try:
                # Never reuse (or politely close) the parent's connection: open our own.
                connections.close_all()
                barrier.wait(timeout)
                results.put((index, None, target(*args)))
            except BaseException:
                results.put((index, traceback.format_exc(), None))
            finally:
                connections.close_all()

        # Closing first means the children inherit no open connection to close under us.
        connections.close_all()
        processes = [ctx.Process(target=child, args=(i, a)) for i, a in enumerate(args_list)]
        for process in processes:
            process.start()
        outcome = {}
        try:
            for _ in processes:
                index, error, value = results.get(timeout=timeout)
                outcome[index] = (error, value)
        except queue_module.Empty:
            pytest.fail(f"only {len(outcome)} of {len(processes)} processes finished in time")
        finally:
            for process in processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()
        errors = [error for error, _value in outcome.values() if error]
        assert not errors, "\n".join(errors)
        return [outcome[i][1] for i in range(len(processes))]

    return run


@pytest.fixture
def event_handlers():
    """The event handler registry, restored after the test: subscribe or unsubscribe freely."""
    with registry.isolated():
        yield registry


@pytest.fixture
def outbox():
    """The events recorded so far, as (name, object id, payload) in order, optionally only
    those named ``name``. Reads the outbox table: no delivery needed."""

    def recorded(name=None, *, object_type=None):
        rows = OutboxEvent.objects.order_by("batch_id", "position")
        if name is not None:
            rows = rows.filter(name=name)
        if object_type is not None:
            rows = rows.filter(object_type=object_type)
        return [(row.name, row.object_id, row.payload) for row in rows]

    return recorded


@pytest.fixture(autouse=True)
def _english_by_default():
    """Every test starts in the default language. A request through the test client leaves
    the language its middleware chose active in the thread (German for a German agent), and
    code called directly afterwards would otherwise speak it."""
    translation.activate("en")
    yield
    translation.deactivate()
