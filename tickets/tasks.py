"""Celery tasks of the ticket domain.

Tasks stay thin (ARCHITECTURE.md, rule 5): they take ids or nothing, call one domain
function, and give the same result when a message is delivered twice. Their default names
(``tickets.tasks.<function>``) are what the beat schedules in the database refer to, so
renaming a function here needs a data migration for its schedule.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import mailstore, numbers, ticket_counts
from .actions.escalation import check_escalations as run_escalation_check
from .actions.pending import check_pending as run_pending_check
from .actions.reports import send_due_reports
from .actions.timeouts import unlock_timed_out
from .actions.web_notifications import delete_old_read_notifications
from .postmaster.intake import reprocess_all, sweep

logger = logging.getLogger(__name__)


@shared_task
def run_generic_agent_job(job_id: int) -> int | None:
    """Run a GenericAgent job for its schedule (one instance at a time); the count of
    tickets it changed, None if it did not run."""
    # Imported here: the engine loads the custom-field engine and the actions.
    from .automation.engine import run_scheduled

    run = run_scheduled(job_id)
    return None if run is None else run.changed


@shared_task
def cleanup_ticket_number_counters() -> int:
    """Drop the number counters of past days and the old draw rows (OTRS
    TicketNumberCounterCleanup); the schedule lives in the database (otrs/daemon/migrations).
    Returns how many counters went."""
    deleted = numbers.cleanup_counters()
    if deleted:
        logger.info("Deleted %d old ticket number counter(s)", deleted)
    numbers.cleanup_draws()
    return deleted


@shared_task
def cleanup_web_notifications() -> int:
    """Delete in-app notifications read more than 30 days ago, daily (the schedule lives in
    otrs/daemon/migrations); how many. Safe to run twice."""
    return delete_old_read_notifications()


@shared_task
def fold_ticket_counts() -> int:
    """Move the changes the ticket actions recorded into the maintained queue counts, every
    minute (tickets.ticket_counts; the schedule lives in otrs/daemon/migrations); how many
    were moved. Two runs at once take different changes."""
    return ticket_counts.fold()


@shared_task
def unlock_timed_out_tickets() -> int:
    """Release locks nobody worked on for the queue's unlock timeout (OTRS UnlockTimeout,
    hourly at :35)."""
    unlocked = unlock_timed_out()
    if unlocked:
        logger.info("Unlocked %d ticket(s) after their unlock timeout", len(unlocked))
    return len(unlocked)


@shared_task(ignore_result=True)
def reprocess_quarantine() -> dict:
    """Process quarantined (and stuck) inbound mail again, daily at 00:10 (OTRS
    SpoolMailsReprocess); what still fails stays quarantined for the administrator."""
    processed, failing = reprocess_all()
    if processed or failing:
        logger.info("Reprocessed inbound mail: %d processed, %d still failing", processed, failing)
    return {"processed": processed, "failing": failing}


@shared_task(ignore_result=True)
def check_escalations() -> dict:
    """The escalation run, every five minutes (OTRS EscalationCheck): escalation and warning
    events and notifications for tickets due soon, in their calendar's working time."""
    result = run_escalation_check()
    if result.events:
        logger.info(
            "Escalation run: %d event(s) on %d ticket(s)", len(result.events), result.checked
        )
    return {"checked": result.checked, "events": len(result.events)}


@shared_task(ignore_result=True)
def check_pending() -> dict:
    """Pending states that act, every minute (OTRS PendingCheck): pending auto states change
    at their time, pending reminders notify once a day in working time."""
    result = run_pending_check()
    if result.changed or result.reminded:
        logger.info(
            "Pending check: %d state(s) changed, %d reminder(s)",
            len(result.changed),
            len(result.reminded),
        )
    return {"changed": len(result.changed), "reminded": len(result.reminded)}


@shared_task(ignore_result=True)
def sweep_inbound_mail() -> int:
    """Process inbound mail a crashed worker left behind, every 5 minutes (the schedule is in
    otrs/daemon/migrations); a message another worker holds is left to it."""
    return sweep()


@shared_task(ignore_result=True)
def sweep_mail_store() -> dict:
    """Remove raw mails, blob rows and ``cas/`` files nothing refers to, once they are older than
    ``MAIL_STORE_ORPHAN_GRACE_HOURS`` (daily; the schedule is in otrs/daemon/migrations)."""
    result = mailstore.sweep_orphans()
    return {
        "rows": result.rows,
        "blobs": result.blobs,
        "files": result.files,
        "bytes": result.row_bytes + result.blob_bytes + result.file_bytes,
    }


@shared_task(ignore_result=True)
def send_scheduled_reports() -> int:
    """Mail the scheduled reports that are due, as CSV, PDF or both (the schedule's choice),
    every 15 minutes (each schedule is claimed by one worker); how many mails were queued."""
    sent = send_due_reports()
    if sent:
        logger.info("Scheduled reports: %d mail(s) queued", len(sent))
    return len(sent)
