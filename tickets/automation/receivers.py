"""Event-triggered GenericAgent jobs: the event handler.

Each ticket event of a committed change is offered to the active jobs that name it (and
whose event filter its data passes); such a job runs for that one ticket. A job runs once
per event: its run is stored with the event's id under a unique constraint, and a
redelivered batch finds it and skips. Within one batch a job runs at most once per ticket
and event name (OTRS: once per ticket and event within one request). Each job runs in a
savepoint of its own: one that fails is stored as failed and the others go on.

Chains: the changes of a run carry its depth in their events (``genericagent_depth``), so a
run caused by another run is one deeper; past ``GENERIC_AGENT_MAX_EVENT_DEPTH`` the run is
stored as stopped (an event loop) and changes nothing. The depths of other automatic changes
in the chain (a process step's ``process_depth``) are carried on unchanged
(:data:`tickets.events.CHAIN_KEYS`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs import events

from .. import actions
from ..events import OBJECT_TYPE, TicketEvent, chain_of
from ..models import GenericAgentJob, GenericAgentRun, RunStatus, RunTrigger
from .engine import run_job

logger = logging.getLogger(__name__)

HANDLER = "tickets.genericagent"
EVENTS = list(TicketEvent)


def filter_passes(event_filter: Mapping[str, list], payload: Mapping) -> bool:
    """Every key of the filter is in the event's data with one of the listed values
    (compared as text)."""
    for key, accepted in (event_filter or {}).items():
        if key not in payload or str(payload[key]) not in {str(v) for v in accepted}:
            return False
    return True


def handle(batch: events.Batch) -> None:
    jobs = [job for job in GenericAgentJob.objects.filter(valid=True) if job.events]
    if not jobs:
        return
    seen: set[tuple[int, int, str]] = set()
    for event in batch.events:
        if event.object_type != OBJECT_TYPE or event.object_id is None:
            continue
        depth = int(event.payload.get("genericagent_depth", -1)) + 1
        for job in jobs:
            if event.name not in job.events or not filter_passes(job.event_filter, event.payload):
                continue
            once = (job.pk, event.object_id, str(event.name))
            if once in seen:
                continue
            seen.add(once)
            if GenericAgentRun.objects.filter(job=job, event_id=event.id).exists():
                continue  # a redelivery: this event ran this job already
            _run(job, event, depth)


def _run(job: GenericAgentJob, event: events.Event, depth: int) -> None:
    try:
        with transaction.atomic(), actions.recorded_as(**chain_of([event.payload])):
            run_job(
                job,
                trigger=RunTrigger.EVENT,
                ticket_ids=[event.object_id] if event.object_id is not None else [],
                event_id=event.id,
                event_name=str(event.name),
                depth=depth,
            )
    except Exception as error:  # one job's failure never blocks the others
        logger.exception("GenericAgent job %s failed on event %s", job.name, event.id)
        now = timezone.now()
        GenericAgentRun.objects.create(
            job=job,
            job_name=job.name,
            trigger=RunTrigger.EVENT,
            event_id=event.id,
            event_name=str(event.name),
            depth=depth,
            status=RunStatus.FAILED,
            message=_("The run failed: %(error)s") % {"error": f"{type(error).__name__}: {error}"},
            started_at=now,
            finished_at=now,
        )


def interested(names: frozenset[str]) -> bool:
    """Whether a valid event job names one of these events: asked once per batch when it is
    dispatched, so a site without event jobs (or a batch no job listens to, such as most of
    the mail intake's) gets no GenericAgent delivery at all."""
    return any(
        names.intersection(job_events)
        for job_events in GenericAgentJob.objects.filter(valid=True).values_list(
            "events", flat=True
        )
        if job_events
    )


def subscribe() -> None:
    events.subscribe(HANDLER, handle, events=EVENTS, interested=interested)
