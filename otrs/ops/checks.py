"""Checks of the running environment, for ``manage.py checkenvironment``, ``/readyz`` and an
admin health page alike: each check returns :class:`Result` rows (what was looked at, how it
stands, what was seen, and the command that fixes a problem) and never raises.

Reads only: nothing here writes to the database, the cache aside (``/readyz`` proves the cache
takes a write).
"""

from __future__ import annotations

import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu import Connection

from otrs.daemon import heartbeat
from otrs.mail.models import MailAccount, OutboundMessage, OutboundStatus
from otrs.search import get_backend

OK = "ok"
WARNING = "warning"
ERROR = "error"
# Exit statuses of checkenvironment, as monitoring plugins (Nagios, Icinga) read them.
EXIT_STATUS = {OK: 0, WARNING: 1, ERROR: 2}
STATUS_LABELS = {
    OK: gettext_lazy("OK"),
    WARNING: gettext_lazy("warning"),
    ERROR: gettext_lazy("error"),
}

# The oldest servers the project is tested with (ARCHITECTURE.md).
MIN_POSTGRESQL: tuple[int, ...] = (15,)
MIN_MARIADB = (10, 11)
MIN_MYSQL = (8, 0)
# Beat sends the heartbeat every minute; django-celery-beat saves its sending time every
# three minutes. A worker beat older than this is a problem.
HEARTBEAT_STALE = timedelta(minutes=5)
BEAT_STALE = timedelta(minutes=10)
# Outgoing mail due longer than this is a backlog (the daemon sends every minute).
OUTGOING_LATE = timedelta(minutes=15)
# Free space below either figure is a warning; below a tenth of them, an error.
DISK_MIN_FREE_BYTES = 1024**3
DISK_MIN_FREE_FRACTION = 0.05
BROKER_TIMEOUT = 3


@dataclass(frozen=True)
class Result:
    """One finding: ``name`` is stable (for scripts), ``label`` and ``detail`` are for people."""

    name: str
    label: str
    status: str
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def _guarded(name: str, label: Callable[[], str], check: Callable[[], list[Result]]):
    """Run one check; an exception is that check's error, never the end of the report."""

    def run() -> list[Result]:
        try:
            return check()
        except Exception as exc:  # a report survives any one failure
            return [Result(name, label(), ERROR, f"{type(exc).__name__}: {exc}")]

    return run


# --- versions -------------------------------------------------------------------------------


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def versions() -> list[Result]:
    found = [("Python", platform.python_version())]
    for distribution in ("otrs-django", "Django", "celery", "kombu", "django-celery-beat"):
        found.append((distribution, _version(distribution) or "-"))
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    driver = {"postgresql": "psycopg", "mysql": "mysqlclient"}.get(vendor)
    if driver:
        found.append((driver, _version(driver) or "-"))
    detail = ", ".join(f"{name} {version}" for name, version in found)
    return [Result("versions", _("Versions"), OK, detail)]


# --- database -------------------------------------------------------------------------------


def _numbers(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("-")[0].split("."):
        digits = "".join(c for c in piece if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def database() -> list[Result]:
    connection = connections[DEFAULT_DB_ALIAS]
    label = _("Database")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW server_encoding")
            charset = cursor.fetchone()[0]
            cursor.execute("SHOW TimeZone")
            zone = cursor.fetchone()[0]
            name, minimum, charset_ok = "PostgreSQL", MIN_POSTGRESQL, charset.upper() == "UTF8"
            zone_ok = True
            charset_fix = _(
                "Create the database with: createdb --encoding=UTF8 --template=template0"
            )
        elif connection.vendor == "mysql":
            cursor.execute("SELECT VERSION(), @@character_set_database, @@time_zone")
            version, charset, zone = cursor.fetchone()
            mariadb = "mariadb" in version.lower()
            name = "MariaDB" if mariadb else "MySQL"
            minimum = MIN_MARIADB if mariadb else MIN_MYSQL
            charset_ok = charset == "utf8mb4"
            charset_fix = _(
                "ALTER DATABASE ... CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci "
                "(and convert the tables)"
            )
            # Without the server's time zone tables, date lookups in a zone return nothing.
            cursor.execute("SELECT CONVERT_TZ('2000-01-01 00:00:00', 'UTC', 'Europe/Berlin')")
            zone_ok = cursor.fetchone()[0] is not None
        else:
            cursor.execute("SELECT sqlite_version()")
            version = cursor.fetchone()[0]
            name, minimum, charset, zone = "SQLite", (3, 31), "UTF-8", "UTC"
            charset_ok = zone_ok = True
            charset_fix = ""
    detail = _("%(name)s %(version)s, character set %(charset)s, time zone %(zone)s") % {
        "name": name,
        "version": version,
        "charset": charset,
        "zone": zone,
    }
    results = []
    if _numbers(version) < minimum:
        results.append(
            Result(
                "database",
                label,
                ERROR,
                detail,
                _("Upgrade %(name)s to %(minimum)s or newer.")
                % {"name": name, "minimum": ".".join(map(str, minimum))},
            )
        )
    else:
        results.append(Result("database", label, OK, detail))
    if not charset_ok:
        results.append(
            Result("database_charset", _("Database character set"), ERROR, charset, charset_fix)
        )
    if not zone_ok:
        results.append(
            Result(
                "database_time_zones",
                _("Database time zone tables"),
                WARNING,
                _("The server has no time zone tables: date lookups in a time zone fail."),
                "mariadb-tzinfo-to-sql /usr/share/zoneinfo | mariadb -u root mysql",
            )
        )
    return results


def database_ready() -> list[Result]:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return [Result("database", _("Database"), OK, _("reachable"))]


def migrations() -> list[Result]:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    label = _("Migrations")
    if not plan:
        return [Result("migrations", label, OK, _("none pending"))]
    names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:10])
    if len(plan) > 10:
        names += ", ..."
    return [
        Result(
            "migrations",
            label,
            ERROR,
            _("%(count)d pending: %(names)s") % {"count": len(plan), "names": names},
            "manage.py migrate",
        )
    ]


# --- cache and broker -------------------------------------------------------------------------


def cache_ready() -> list[Result]:
    key = "otrs.ops.readiness"
    value = timezone.now().isoformat()
    cache.set(key, value, 30)
    if cache.get(key) != value:
        return [Result("cache", _("Cache"), ERROR, _("a value written was not read back"))]
    return [Result("cache", _("Cache"), OK, _("reachable"))]


def _broker_fix() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("redis"):
        return "systemctl start redis-server"
    if url.startswith("amqp"):
        return "systemctl start rabbitmq-server"
    return _("Check that %(path)s exists and is writable by the service user.") % {
        "path": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", "var/celery")
    }


def broker() -> list[Result]:
    label = _("Broker")
    url = settings.CELERY_BROKER_URL
    scheme = url.split("://", 1)[0]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if scheme == "filesystem":
        # The filesystem transport connects to nothing: its test is its folder.
        folder = Path(options.get("data_folder_in", ""))
        if not folder.is_dir():
            detail = _("no folder %(path)s") % {"path": folder}
            return [Result("broker", label, ERROR, detail, _broker_fix())]
    # The URL the settings name (what every process of this host uses), not a copy.
    connection = Connection(url, transport_options=options, connect_timeout=BROKER_TIMEOUT)
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    except Exception as exc:  # whatever the transport raises
        detail = _("%(scheme)s broker unreachable: %(error)s") % {"scheme": scheme, "error": exc}
        return [Result("broker", label, ERROR, detail, _broker_fix())]
    finally:
        connection.release()
    return [Result("broker", label, OK, _("%(scheme)s broker reachable") % {"scheme": scheme})]


# --- daemon ---------------------------------------------------------------------------------


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return _("never")
    seconds = int((now - moment).total_seconds())
    return _("%(seconds)d s ago") % {"seconds": seconds}


def daemon() -> list[Result]:
    now = timezone.now()
    label = _("Daemon (worker and beat)")
    worker_at = heartbeat.last()
    beat_at = heartbeat.beat_last_sent()
    detail = _("last worker heartbeat: %(worker)s; last sent by beat: %(beat)s") % {
        "worker": _age(worker_at, now),
        "beat": _age(beat_at, now),
    }
    if worker_at is not None and now - worker_at <= HEARTBEAT_STALE:
        return [Result("daemon", label, OK, detail)]
    if beat_at is not None and now - beat_at <= BEAT_STALE:
        fix = _("Start a worker: systemctl start otrs-worker (or celery -A otrs worker)")
    else:
        fix = _(
            "Start beat and a worker: systemctl start otrs-beat otrs-worker "
            "(or celery -A otrs worker --beat)"
        )
    return [Result("daemon", label, ERROR, detail, fix)]


# --- search, mail, disk -------------------------------------------------------------------------


def search() -> list[Result]:
    backend = get_backend()
    label = _("Search backend")
    name = f"{settings.SEARCH_BACKEND} ({type(backend).__name__})"
    # A backend that talks to a server says whether it reaches it and is in sync.
    health = getattr(backend, "health", None)
    if health is None:
        return [Result("search", label, OK, name)]
    problem = health()
    if problem:
        fix = _("Start the search server, or check SEARCH_BACKEND and its address.")
        return [Result("search", label, ERROR, f"{name}: {problem}", fix)]
    return [Result("search", label, OK, name)]


def mail_accounts() -> list[Result]:
    now = timezone.now()
    results = []
    for account in MailAccount.objects.filter(is_valid=True).order_by("name"):
        name = f"mail_account:{account.name}"
        label = _("Mail account %(name)s") % {"name": account.name}
        fix = f'manage.py fetchmail --account "{account.name}"'
        late = timedelta(minutes=3 * max(account.interval_minutes, 1) + 5)
        if account.consecutive_failures:
            detail = _("%(count)d failed fetches in a row: %(error)s") % {
                "count": account.consecutive_failures,
                "error": account.last_error_text[:200],
            }
            results.append(Result(name, label, ERROR, detail, fix))
        elif account.last_fetch_at is None or now - account.last_fetch_at > late:
            detail = _("last fetched %(age)s") % {"age": _age(account.last_fetch_at, now)}
            results.append(Result(name, label, WARNING, detail, fix))
        else:
            detail = _("last fetched %(age)s") % {"age": _age(account.last_fetch_at, now)}
            results.append(Result(name, label, OK, detail))
    if not results:
        results.append(Result("mail_accounts", _("Mail accounts"), OK, _("none configured")))
    return results


def outgoing_mail() -> list[Result]:
    now = timezone.now()
    waiting = OutboundMessage.objects.filter(
        status__in=(OutboundStatus.QUEUED, OutboundStatus.SENDING)
    )
    late = waiting.filter(next_attempt_at__lt=now - OUTGOING_LATE).count()
    failed = OutboundMessage.objects.filter(
        Q(status=OutboundStatus.FAILED) | Q(status=OutboundStatus.BOUNCED)
    ).count()
    detail = _("%(waiting)d waiting, %(late)d overdue, %(failed)d failed") % {
        "waiting": waiting.count(),
        "late": late,
        "failed": failed,
    }
    label = _("Outgoing mail queue")
    if late:
        return [Result("outgoing_mail", label, ERROR, detail, "manage.py mailqueue --send")]
    if failed:
        return [
            Result("outgoing_mail", label, WARNING, detail, "manage.py mailqueue --retry-failed")
        ]
    return [Result("outgoing_mail", label, OK, detail)]


def _storage_dirs() -> dict[str, Path]:
    dirs = {"var": Path(settings.VAR_DIR)}
    # A storage without local paths (object storage) has no disk of ours to watch.
    location = getattr(storages["attachments"], "location", None)
    if location:
        dirs["attachments"] = Path(location)
    return dirs


def disk_space() -> list[Result]:
    results = []
    for name, path in _storage_dirs().items():
        probe = path
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        usage = shutil.disk_usage(probe)
        fraction = usage.free / usage.total if usage.total else 0.0
        detail = _("%(path)s: %(free).1f GiB free of %(total).1f GiB (%(percent).0f %%)") % {
            "path": path,
            "free": usage.free / 1024**3,
            "total": usage.total / 1024**3,
            "percent": fraction * 100,
        }
        label = _("Disk space (%(name)s)") % {"name": name}
        fix = _("Free space on the file system of %(path)s, or move it to a larger one.") % {
            "path": path
        }
        if usage.free < DISK_MIN_FREE_BYTES / 10 or fraction < DISK_MIN_FREE_FRACTION / 10:
            results.append(Result(f"disk:{name}", label, ERROR, detail, fix))
        elif usage.free < DISK_MIN_FREE_BYTES or fraction < DISK_MIN_FREE_FRACTION:
            results.append(Result(f"disk:{name}", label, WARNING, detail, fix))
        else:
            results.append(Result(f"disk:{name}", label, OK, detail))
    return results


# --- the lists --------------------------------------------------------------------------------

# (name, label, check): every check of the environment, in the order of the report.
ENVIRONMENT: list[tuple[str, Callable[[], str], Callable[[], list[Result]]]] = [
    ("versions", lambda: _("Versions"), versions),
    ("database", lambda: _("Database"), database),
    ("migrations", lambda: _("Migrations"), migrations),
    ("broker", lambda: _("Broker"), broker),
    ("daemon", lambda: _("Daemon (worker and beat)"), daemon),
    ("search", lambda: _("Search backend"), search),
    ("mail_accounts", lambda: _("Mail accounts"), mail_accounts),
    ("outgoing_mail", lambda: _("Outgoing mail queue"), outgoing_mail),
    ("disk", lambda: _("Disk space"), disk_space),
]
# What a load balancer asks before sending requests to this host.
READINESS: list[tuple[str, Callable[[], str], Callable[[], list[Result]]]] = [
    ("database", lambda: _("Database"), database_ready),
    ("cache", lambda: _("Cache"), cache_ready),
    ("broker", lambda: _("Broker"), broker),
]


def run(checks=None) -> list[Result]:
    results: list[Result] = []
    for name, label, check in ENVIRONMENT if checks is None else checks:
        results.extend(_guarded(name, label, check)())
    return results


def readiness() -> list[Result]:
    return run(READINESS)


def worst(results: list[Result]) -> str:
    statuses = {result.status for result in results}
    return ERROR if ERROR in statuses else WARNING if WARNING in statuses else OK
