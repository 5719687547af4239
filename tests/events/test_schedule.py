"""The beat schedule that sweeps the outbox: created by a migration, a task workers know."""

from __future__ import annotations

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from otrs.celery import app

TASK = "otrs.events.tasks.deliver_due_events"


@pytest.mark.django_db
def test_a_migration_schedules_the_sweep_every_minute():
    task = PeriodicTask.objects.get(name="Event delivery")
    assert (task.task, task.enabled) == (TASK, True)
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.MINUTES)


def test_the_sweep_is_a_task_the_worker_knows():
    app.loader.import_default_modules()  # what a worker does at start (autodiscovery)
    assert TASK in app.tasks
    assert "otrs.events.tasks.deliver_batch" in app.tasks
