"""Celery tasks of the mail transport: sending the outgoing queue, fetching the accounts.

Thin, as every task (ARCHITECTURE.md, rule 5): they take ids or nothing, call one function,
and are safe to run twice. Their names (``otrs.mail.tasks.<function>``) are what the beat
schedules in the database refer to (otrs/daemon/migrations/0002_mail_schedules.py), so renaming
one needs a data migration for its schedule.
"""

from __future__ import annotations

import logging

from celery import shared_task

from . import fetching, sending, spool
from .models import MailAccount

logger = logging.getLogger(__name__)

# --- sending -----------------------------------------------------------------------------------


@shared_task(ignore_result=True)
def send_outbound_message(pk: int) -> str | None:
    """Send one queued message now (enqueued after the commit that queued it). A message
    that is not due, being sent by another worker, or already sent is left alone."""
    return sending.send_one(pk)


@shared_task(ignore_result=True)
def send_outgoing_mail() -> int:
    """Send every due message (OTRS MailQueueSend, every minute): first attempts whose task
    was lost, retries after their back-off, messages whose worker died mid-send."""
    return sending.send_due()


# --- fetching ----------------------------------------------------------------------------------


@shared_task(ignore_result=True)
def fetch_mail_accounts() -> list[dict]:
    """Fetch every valid mail account whose own interval has passed (OTRS MailAccountFetch;
    the schedule ticks every minute). An account being fetched by another worker is skipped."""
    return [result.as_dict() for result in fetching.fetch_due_accounts()]


@shared_task(ignore_result=True)
def fetch_mail_account(account_id: int) -> dict | None:
    """Fetch one valid account now, whatever its interval; None if it is gone or invalid."""
    account = MailAccount.objects.filter(pk=account_id).first()
    if account is None or not account.is_valid:
        return None
    return fetching.fetch_account(account).as_dict()


# --- the MTA spool -----------------------------------------------------------------------------


@shared_task(ignore_result=True)
def drain_mail_spool() -> dict:
    """Store what ``otrs-postmaster`` spooled (every few seconds; ``manage.py lmtpd`` does the
    same every second). Two runs at once never take the same file."""
    result = spool.drain(limit=500)
    return {"stored": result.stored, "retried": result.retried, "failed": result.failed}
