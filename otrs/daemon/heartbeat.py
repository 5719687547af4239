"""The daemon's heartbeat: beat sends :func:`otrs.daemon.tasks.heartbeat` every minute, a
worker records when it ran it. A fresh ``worker`` row means beat, the broker and a worker
work; a stale one with beat's own record of sending fresh means no worker takes tasks."""

from __future__ import annotations

import socket
from datetime import datetime

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from .models import Heartbeat

WORKER = "worker"
# The name of the beat schedule (migration 0009); beat keeps its last sending time on it.
SCHEDULE_NAME = "Daemon heartbeat"
TASK = "otrs.daemon.tasks.heartbeat"


def beat(name: str = WORKER) -> Heartbeat:
    """Record that this process is alive now (idempotent: one row per name)."""
    row, _created = Heartbeat.objects.update_or_create(
        name=name, defaults={"at": timezone.now(), "hostname": socket.gethostname()[:255]}
    )
    return row


def last(name: str = WORKER) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def beat_last_sent() -> datetime | None:
    """When beat last sent the heartbeat (django-celery-beat keeps it on the schedule row,
    saved every few minutes)."""
    return (
        PeriodicTask.objects.filter(name=SCHEDULE_NAME)
        .values_list("last_run_at", flat=True)
        .first()
    )
