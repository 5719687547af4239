"""Writing GenericAgent jobs: checked, saved with their schedule, deleted with it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.conditions import condition_errors

from ..events import TicketEvent
from ..models import GenericAgentJob
from . import schedule
from .attributes import ticket_schema
from .changes import change_errors


def job_errors(job: GenericAgentJob) -> dict[str, list[str]]:
    """What is wrong with ``job``, by the part it is in (selection, schedule, events,
    changes)."""
    errors: dict[str, list[str]] = {}
    found = condition_errors(job.selection, ticket_schema())
    if found:
        errors["selection"] = found
    if job.schedule.strip():
        found = schedule.cron_errors(job.schedule)
        if found:
            errors["schedule"] = found
    known = set(TicketEvent)
    unknown = [name for name in job.events if name not in known]
    if unknown:
        errors["events"] = [
            _("“%(name)s” is no ticket event.") % {"name": name} for name in unknown
        ]
    if not isinstance(job.event_filter, dict) or not all(
        isinstance(v, list) for v in job.event_filter.values()
    ):
        errors["event_filter"] = [_("An event filter maps a key to a list of values.")]
    found = change_errors(job.changes)
    if found:
        errors["changes"] = found
    if job.changes.get("delete") and job.events and not job.selection:
        errors.setdefault("changes", []).append(
            _("delete: a deleting event job needs a selection as well.")
        )
    return errors


def save_job(job: GenericAgentJob) -> GenericAgentJob:
    """Check and save ``job`` and its beat schedule; ``ValidationError`` by part if refused."""
    errors = job_errors(job)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        job.changed_at = timezone.now()
        job.save()
        schedule.sync(job)
    return job


def delete_job(job: GenericAgentJob) -> None:
    with transaction.atomic():
        task = job.periodic_task
        job.delete()
        if task is not None:
            task.delete()


def set_job_active(job: GenericAgentJob, active: bool) -> GenericAgentJob:
    with transaction.atomic():
        job.valid = active
        job.changed_at = timezone.now()
        job.save(update_fields=["valid", "changed_at"])
        schedule.sync(job)
    return job
