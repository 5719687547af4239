"""Running a GenericAgent job: select, plan, change ticket by ticket, and keep the trace.

:func:`run_job` is the one entry for every trigger (the schedule, an event, the admin's "run
now", the command) and for the dry run, which walks the same code up to the point of
changing: the dry run's plan for a ticket is what the real run does to it.

- The selection is compiled to one query (:func:`otrs.conditions.to_q`); the count of matches
  is stored as it is, and so is how many the limit left over: the trace never claims more
  (or fewer) tickets than it touched.
- Each ticket is changed in a transaction of its own, under its row lock, after checking the
  selection again on the locked row in Python (:func:`otrs.conditions.matches`, the same
  meaning): a ticket changed by someone else meanwhile is skipped with that reason.
- A ticket an action refuses is skipped with the action's message, a ticket whose change
  raises is *failed* with the error; neither stops the run.
- History rows written by the run carry the job and the run (``recorded_as``), so the ticket's
  history links to this trace and the events they announce know how deep in a chain of
  GenericAgent runs they are.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User, system_user
from otrs.bulk import load
from otrs.conditions import matches, to_q
from otrs.errors import DomainError

from .. import actions
from ..models import (
    GenericAgentJob,
    GenericAgentRun,
    GenericAgentRunItem,
    ItemOutcome,
    RunStatus,
    RunTrigger,
    State,
    Ticket,
)
from . import changes as job_changes
from .attributes import facts_for, ticket_schema

logger = logging.getLogger(__name__)

# Tickets read per query while walking a selection.
CHUNK = 500
# Trace rows written per insert.
ITEM_BATCH = 500
# Trace rows a run keeps in memory for its caller (the dry run page shows 200).
PREVIEW = 1000


class _Items:
    """The run's trace rows, written in batches (a run over 100,000 tickets keeps ~500 in
    memory)."""

    def __init__(self, run: GenericAgentRun, *, keep: bool) -> None:
        self.run = run
        self.keep = keep
        self.pending: list[GenericAgentRunItem] = []
        # The first rows, kept in memory for the page that shows the run right away.
        self.preview: list[GenericAgentRunItem] = []

    def add(self, ticket: Ticket, outcome: str, planned=(), reason: str = "") -> None:
        item = GenericAgentRunItem(
            run=self.run,
            ticket_id=ticket.pk,
            ticket_number=ticket.number,
            outcome=outcome,
            changes=list(planned),
            reason=reason[:2000],
        )
        self.pending.append(item)
        if len(self.preview) < PREVIEW:
            self.preview.append(item)
        if len(self.pending) >= ITEM_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending and self.keep:
            GenericAgentRunItem.objects.bulk_create(self.pending)
        self.pending = []


def refusal(job: GenericAgentJob) -> str:
    """Why ``job`` may not run at all, or ""."""
    if not job.selection and not job.events:
        # OTRS: a time job with neither a queue nor any search attribute refuses to run.
        return _("The job has no selection: it would touch every ticket.")
    if not job.changes:
        return _("The job changes nothing.")
    return ""


def run_job(
    job: GenericAgentJob,
    *,
    trigger: str,
    dry_run: bool = False,
    ticket_ids: Iterable[int] | None = None,
    event_id: int | None = None,
    event_name: str = "",
    depth: int = 0,
    now: datetime | None = None,
    keep_dry_run: bool = True,
) -> GenericAgentRun:
    """Run ``job`` once and return its trace (saved; a dry run too unless
    ``keep_dry_run`` is false). ``ticket_ids``: only among these (an event's ticket)."""
    now = now or timezone.now()
    run = GenericAgentRun(
        job=job,
        job_name=job.name,
        trigger=trigger,
        dry_run=dry_run,
        event_id=None if dry_run else event_id,
        event_name=event_name,
        depth=depth,
        started_at=now,
        limit=job.run_limit,
    )
    keep = keep_dry_run or not dry_run
    if keep:
        run.save(force_insert=True)
    items = _Items(run, keep=keep)
    refused = refusal(job)
    if depth > settings.GENERIC_AGENT_MAX_EVENT_DEPTH:
        run.status = RunStatus.LOOP_STOPPED
        run.message = _(
            "Stopped: this run was caused by a chain of %(depth)s GenericAgent runs (the limit "
            "is %(limit)s). The jobs probably trigger each other."
        ) % {"depth": depth, "limit": settings.GENERIC_AGENT_MAX_EVENT_DEPTH}
    elif refused:
        run.status = RunStatus.REFUSED
        run.message = refused
    else:
        _walk(job, run, items, ticket_ids=ticket_ids, now=now, dry_run=dry_run)
    items.flush()
    run.items_preview = items.preview  # type: ignore[attr-defined]
    run.finished_at = timezone.now()
    if keep:
        run.save()
    if not dry_run and trigger != RunTrigger.EVENT:
        GenericAgentJob.objects.filter(pk=job.pk).update(last_run_at=run.finished_at)
    return run


def _walk(
    job: GenericAgentJob,
    run: GenericAgentRun,
    items: _Items,
    *,
    ticket_ids: Iterable[int] | None,
    now: datetime,
    dry_run: bool,
) -> None:
    schema = ticket_schema()
    selection = job.selection or {}
    found = Ticket.objects.filter(to_q(selection, schema, now))
    if ticket_ids is not None:
        found = found.filter(pk__in=list(ticket_ids))
    ids = list(found.order_by("pk").values_list("pk", flat=True))
    run.matched = len(ids)
    taken = ids[: job.run_limit]
    run.over_limit = len(ids) - len(taken)
    actor = job.run_as or system_user()
    cache: dict = {}
    for start in range(0, len(taken), CHUNK):
        chunk = taken[start : start + CHUNK]
        tickets = Ticket.objects.select_related("state").filter(pk__in=chunk).order_by("pk")
        by_id = {t.pk: t for t in tickets}
        for pk in chunk:
            ticket = by_id.get(pk)
            if ticket is None:
                continue  # gone since the selection
            _one(
                job,
                run,
                items,
                ticket,
                actor=actor,
                schema=schema,
                now=now,
                dry_run=dry_run,
                cache=cache,
            )
    if not run.matched:
        run.status = RunStatus.NOTHING_MATCHED
        run.message = _("No ticket matches the selection.")
    elif run.failed:
        run.status = RunStatus.WITH_FAILURES
    else:
        run.status = RunStatus.DONE
    if run.over_limit:
        run.message = _(
            "%(matched)s tickets matched; the limit of %(limit)s left %(left)s of them for "
            "the next run."
        ) % {"matched": run.matched, "limit": job.run_limit, "left": run.over_limit}


def _one(
    job: GenericAgentJob,
    run: GenericAgentRun,
    items: _Items,
    ticket: Ticket,
    *,
    actor: User,
    schema,
    now: datetime,
    dry_run: bool,
    cache: dict,
) -> None:
    selection = job.selection or {}
    if dry_run:
        planned = job_changes.plan(job.changes, ticket, now, cache=cache)
        if planned:
            run.changed += 1
            items.add(ticket, ItemOutcome.WOULD_CHANGE, planned)
        else:
            run.skipped += 1
            items.add(ticket, ItemOutcome.SKIPPED, reason=_("Nothing to change."))
        return
    key = f"genericagent:{run.pk}:{ticket.pk}"
    planned = []
    try:
        # The ticket's transaction is rolled back as a whole when an action refuses or fails
        # (nothing goes on in it after an error), so the actions need no savepoints.
        with (
            transaction.atomic(),
            actions.whole_transaction(),
            actions.recorded_as(
                genericagent_job=job.pk,
                genericagent_job_name=job.name,
                genericagent_run=run.pk,
                genericagent_depth=run.depth,
            ),
        ):
            locked = _lock(ticket.pk, cache)
            if not matches(selection, schema, facts_for(selection, locked, now), now):
                run.skipped += 1
                items.add(locked, ItemOutcome.SKIPPED, reason=_("No longer matches the selection."))
                return
            planned = job_changes.plan(job.changes, locked, now, cache=cache)
            if not planned:
                run.skipped += 1
                items.add(locked, ItemOutcome.SKIPPED, reason=_("Nothing to change."))
                return
            job_changes.apply(job.changes, locked, planned, actor=actor, key=key, cache=cache)
    except Ticket.DoesNotExist:
        run.skipped += 1
        items.add(ticket, ItemOutcome.SKIPPED, reason=_("The ticket is gone."))
    except DomainError as error:
        run.skipped += 1
        items.add(ticket, ItemOutcome.SKIPPED, planned, reason=error.message)
    except Exception as error:  # a failing ticket never stops the run
        logger.exception("GenericAgent job %s failed on ticket %s", job.name, ticket.pk)
        run.failed += 1
        items.add(ticket, ItemOutcome.FAILED, planned, reason=f"{type(error).__name__}: {error}")
    else:
        run.changed += 1
        items.add(ticket, ItemOutcome.CHANGED, planned)


def _lock(pk: int, cache: dict) -> Ticket:
    """The ticket ``pk`` re-read under its row lock (one hand-built statement, as the actions
    lock it), with its state from the run's ``cache``: a join would lock the state's row too
    (FOR UPDATE locks every joined row), serializing all changes to that state."""
    found = load(Ticket, "t.id = %s", [pk], for_update=True)
    if found is None:
        raise Ticket.DoesNotExist(f"Ticket {pk} does not exist.")
    locked = cast("Ticket", found)
    states = cache.setdefault("states", {})
    if locked.state_id not in states:
        states[locked.state_id] = State.objects.get(pk=locked.state_id)
    Ticket._meta.get_field("state").set_cached_value(locked, states[locked.state_id])
    return locked


# A claim older than this belongs to a worker that died: the next slot may run the job.
CLAIM_TIMEOUT_HOURS = 6


def run_scheduled(job_id: int, *, trigger: str = RunTrigger.SCHEDULE) -> GenericAgentRun | None:
    """Run job ``job_id`` for its schedule (or by hand), one instance at a time: a run still
    in progress elsewhere makes this one do nothing (None), as does a job switched off."""
    now = timezone.now()
    stale = now - timedelta(hours=CLAIM_TIMEOUT_HOURS)
    job = GenericAgentJob.objects.filter(pk=job_id).first()
    if job is None or (trigger == RunTrigger.SCHEDULE and not job.valid):
        return None
    claimed = (
        GenericAgentJob.objects.filter(pk=job_id)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=stale))
        .update(running_since=now)
    )
    if not claimed:
        logger.info("GenericAgent job %s is running already; this slot is skipped", job.name)
        return None
    try:
        return run_job(job, trigger=trigger, now=now)
    finally:
        GenericAgentJob.objects.filter(pk=job_id, running_since=now).update(running_since=None)
