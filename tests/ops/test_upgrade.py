"""``manage.py upgrade``: pre-flight, maintenance flag, verified backup, migrations; a
migration failing half way is rolled back to identical data from the backup."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from otrs.ops import maintenance
from tests import factories
from tests.ops.helpers import committed, table_rows

# A migration package for an app that has none of its own (the admin dashboard has no
# models; ops had none either until its maintenance windows).
FAILING = {"admin_portal": "tests.ops.failing_migrations"}


@committed
def test_a_failed_migration_rolls_back_to_identical_data(file_storages, tmp_path):
    queue = factories.queue("Support", group_=factories.group("support"))
    for number in range(2):
        factories.ticket(queue, title=f"Ticket {number}")
    before = table_rows()

    with override_settings(MIGRATION_MODULES=FAILING), pytest.raises(CommandError) as failed:
        call_command("upgrade", "--backup-dir", str(tmp_path), stdout=io.StringIO(), verbosity=0)

    message = str(failed.value)
    assert "rolled back" in message
    assert "forced failure half way" in message
    assert table_rows() == before
    assert not maintenance.active()
    assert len(list(tmp_path.glob("pre-upgrade-*.tar"))) == 1


@committed
def test_it_upgrades_and_leaves_a_verified_backup(file_storages, tmp_path):
    factories.ticket(factories.queue("Support", group_=factories.group("support")))
    out = io.StringIO()
    call_command("upgrade", "--backup-dir", str(tmp_path), stdout=out, verbosity=0)
    assert "Upgraded." in out.getvalue()
    (archive,) = tmp_path.glob("pre-upgrade-*.tar")
    call_command("backup", str(archive), "--check", stdout=io.StringIO(), verbosity=0)


def test_the_maintenance_flag_answers_503_but_liveness(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    with maintenance.on("test"):
        response = client.get("/agent/")
        assert response.status_code == 503
        assert response["Retry-After"] == "120"
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/agent/").status_code == 302


def test_preflight_lists_pending_migrations(db):
    out = io.StringIO()
    with override_settings(MIGRATION_MODULES=FAILING):
        call_command("upgrade", "--check", stdout=out)
    assert "admin_portal.0001_breaks_half_way" in out.getvalue()
