"""The environment checks: /healthz and /readyz for load balancers, and
``manage.py checkenvironment`` on a healthy and a broken set-up (broker down, a migration
pending, the daemon silent), against the real database, cache and broker."""

from __future__ import annotations

import io
import json
import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from otrs.daemon import heartbeat, tasks
from otrs.mail.models import OutboundMessage
from otrs.ops import checks

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A port nothing listens on (free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _daemon_alive() -> None:
    """What a running beat and worker leave behind: the worker ran the heartbeat task (the
    task's own code), beat recorded sending it."""
    tasks.heartbeat()
    PeriodicTask.objects.filter(name=heartbeat.SCHEDULE_NAME).update(last_run_at=timezone.now())


def _checkenvironment(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("checkenvironment", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def _by_name(results: list[checks.Result]) -> dict[str, checks.Result]:
    return {result.name: result for result in results}


def test_it_answers_liveness_without_sign_in_or_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_it_is_ready_when_database_cache_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content.decode().splitlines() == ["database ok", "cache ok", "broker ok"]


def test_it_is_not_ready_with_the_broker_down_and_tells_no_details(client):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert body.splitlines() == ["database ok", "cache ok", "broker failed"]
    assert "127.0.0.1" not in body


def test_it_reaches_a_real_redis_broker():
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/0"):
        result = checks.broker()[0]
    assert result.ok, result.detail


def test_it_reports_a_healthy_environment_with_exit_status_0():
    _daemon_alive()
    status, out = _checkenvironment()
    # A MariaDB without its time zone tables (as the test machines' server) is a true
    # warning, and the only one a healthy set-up here may show.
    if "Database time zone tables" in out:
        assert status == 1, out
        assert "1 of 11 checks need attention." in out
    else:
        assert status == 0, out
        assert "Everything is in order." in out
    for label in ("Versions", "Database", "Migrations", "Broker", "Daemon", "Disk space"):
        assert label in out


def test_it_reports_the_broker_down_with_the_command_that_fixes_it():
    _daemon_alive()
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        status, out = _checkenvironment("--json")
    assert status == 2
    broker = _by_name([checks.Result(**row) for row in json.loads(out)])["broker"]
    assert broker.status == checks.ERROR
    assert "unreachable" in broker.detail
    assert broker.fix == "systemctl start redis-server"


def test_it_lists_a_pending_migration_and_says_migrate():
    _daemon_alive()
    # The database as it is before the daemon app's newest migration was applied (rolled
    # back with the test's transaction). The newest: an older one unapplied under an
    # applied one is no plan Django would make.
    (newest,) = MigrationLoader(connection).graph.leaf_nodes("daemon")
    MigrationRecorder(connection).record_unapplied(*newest)
    status, out = _checkenvironment()
    assert status == 2
    assert f"1 pending: daemon.{newest[1]}" in out
    assert "fix: manage.py migrate" in out


def test_it_tells_a_dead_worker_from_a_dead_beat():
    found = _by_name(checks.run())["daemon"]
    assert found.status == checks.ERROR
    assert "otrs-beat" in found.fix

    PeriodicTask.objects.filter(name=heartbeat.SCHEDULE_NAME).update(last_run_at=timezone.now())
    found = _by_name(checks.run())["daemon"]
    assert found.status == checks.ERROR
    assert "otrs-beat" not in found.fix
    assert "otrs-worker" in found.fix

    tasks.heartbeat()
    assert _by_name(checks.run())["daemon"].ok


def test_it_warns_about_failed_and_errs_about_overdue_outgoing_mail():
    _daemon_alive()
    message = OutboundMessage.objects.create(
        kind="system", envelope_from="a@example.test", recipients=["b@example.test"], raw=b"x"
    )
    OutboundMessage.objects.filter(pk=message.pk).update(status="failed")
    status, out = _checkenvironment()
    assert status == 1
    assert "fix: manage.py mailqueue --retry-failed" in out

    OutboundMessage.objects.filter(pk=message.pk).update(
        status="queued", next_attempt_at=timezone.now() - timedelta(hours=1)
    )
    status, out = _checkenvironment()
    assert status == 2
    assert "fix: manage.py mailqueue --send" in out


def test_a_failing_check_is_reported_not_raised():
    def broken() -> list[checks.Result]:
        raise RuntimeError("boom")

    results = checks.run([("broken", lambda: "Broken", broken)])
    assert results == [checks.Result("broken", "Broken", checks.ERROR, "RuntimeError: boom")]
