"""The migration that turns the calendar names of queues and SLAs into references: a known
name becomes its calendar, an unknown one the default (empty), and back again."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from otrs.calendars.models import Calendar
from tickets.models import SLA, Queue

BEFORE = [("tickets", "0015_metrics_and_time_accounting")]
AFTER = [("tickets", "0016_calendar_foreign_keys")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_calendar_names_become_references_and_back():
    berlin = Calendar.objects.create(name="Berlin", time_zone="Europe/Berlin")
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        old.get_model("tickets", "Queue").objects.filter(full_name="Misc").update(calendar="Berlin")
        old.get_model("tickets", "Queue").objects.filter(full_name="Raw").update(calendar="Gone")
        old.get_model("tickets", "SLA").objects.create(name="Gold", calendar="Berlin")
        _migrate(AFTER)
        assert Queue.objects.get(full_name="Misc").calendar_id == berlin.pk
        assert Queue.objects.get(full_name="Raw").calendar_id is None
        assert SLA.objects.get(name="Gold").calendar_id == berlin.pk
        back = _migrate(BEFORE)
        names = dict(back.get_model("tickets", "SLA").objects.values_list("name", "calendar"))
        assert names == {"Gold": "Berlin"}
    finally:
        _migrate(latest)
