"""The FAQ's recurring job: announcing items whose review date has passed."""

from __future__ import annotations

from celery import shared_task

from . import actions


@shared_task(ignore_result=True)
def announce_reviews_due() -> int:
    """Record ``FAQReviewDue`` once for each item whose review date has passed, daily (the
    schedule is in otrs/daemon/migrations); how many items were announced."""
    return len(actions.record_review_due())
