"""The GenericAgent part of ``loaddemo``: two example jobs, switched off, to copy from.

Created only if missing (an administrator's edits stay); both have a schedule, so switching
one on in the admin puts it on the daemon's beat schedule at once.
"""

from __future__ import annotations

from tickets.automation.actions import save_job
from tickets.choices import StateType
from tickets.models import GenericAgentJob, Priority, Queue, State

CLOSE_PENDING = "Close tickets pending for 30 days"
MOVE_NEW = "Move unanswered new tickets after 1 hour"


def load(stdout) -> None:
    closed = State.objects.filter(name="closed successful").first()
    if closed and not GenericAgentJob.objects.filter(name=CLOSE_PENDING).exists():
        save_job(
            GenericAgentJob(
                name=CLOSE_PENDING,
                description="Tickets waiting in a pending state, untouched for 30 days, are "
                "closed with a note saying why.",
                valid=False,
                schedule="30 2 * * *",
                selection={
                    "all": [
                        {
                            "attr": "state_type",
                            "op": "in",
                            "value": [StateType.PENDING_REMINDER, StateType.PENDING_AUTO],
                        },
                        {
                            "attr": "changed",
                            "op": "older_than",
                            "value": {"amount": 30, "unit": "days"},
                        },
                    ]
                },
                changes={
                    "state": closed.pk,
                    "note": {
                        "subject": "Closed after 30 days pending",
                        "body": "Nobody came back to ticket <OTRS_TICKET_TicketNumber> for 30 "
                        "days, so it was closed automatically.",
                        "visible": False,
                    },
                },
            )
        )
        stdout.write(f"GenericAgent job (off): {CLOSE_PENDING}")
    raw = Queue.objects.filter(full_name="Raw").first()
    support = Queue.objects.filter(full_name="Support").first()
    high = Priority.objects.filter(level=4).first()
    if raw and support and not GenericAgentJob.objects.filter(name=MOVE_NEW).exists():
        changes: dict = {"queue": support.pk}
        if high:
            changes["priority"] = high.pk
        save_job(
            GenericAgentJob(
                name=MOVE_NEW,
                description="New tickets nobody has answered within an hour leave the Raw "
                "queue for Support, with a higher priority.",
                valid=False,
                schedule="*/10 * * * *",
                selection={
                    "all": [
                        {"attr": "queue", "op": "equals", "value": raw.pk},
                        {"attr": "state_type", "op": "equals", "value": StateType.NEW},
                        {
                            "attr": "created",
                            "op": "older_than",
                            "value": {"amount": 1, "unit": "hours"},
                        },
                    ]
                },
                changes=changes,
            )
        )
        stdout.write(f"GenericAgent job (off): {MOVE_NEW}")
