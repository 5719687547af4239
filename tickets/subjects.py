"""Ticket subjects as OTRS builds and cleans them (spec section 2, "Subjects").

Used by the agent's email composer now and by mail intake and sending later.
"""

from __future__ import annotations

import re

from django.conf import settings

# OTRS Ticket::SubjectRe, Ticket::SubjectFwd, Ticket::SubjectSize.
SUBJECT_RE = "Re"
SUBJECT_FWD = "Fwd"
SUBJECT_SIZE = 100


def clean_ticket_subject(subject: str, number: str) -> str:
    """OTRS TicketSubjectClean: drop this ticket's hook (``[Ticket#n]``, ``Ticket#: n``, ...)
    and leading runs of ``Re:`` / ``Fwd:`` (also ``Re[2]:``); trim; cut to the subject size."""
    hook = re.escape(settings.TICKET_HOOK)
    tn = re.escape(number)
    subject = re.sub(rf"\[{hook}(?::\s{{0,2}})?{tn}\]|{hook}(?::\s{{0,2}})?{tn}", " ", subject)
    prefixes = "|".join(re.escape(p) for p in (SUBJECT_RE, SUBJECT_FWD))
    subject = re.sub(rf"^(?:\s*(?:{prefixes})(?:\[\d+\])?:)+", "", subject, flags=re.IGNORECASE)
    subject = " ".join(subject.split())
    if len(subject) > SUBJECT_SIZE:
        subject = f"{subject[:SUBJECT_SIZE]} [...]"
    return subject


def build_ticket_subject(prefix: str, subject: str, number: str) -> str:
    """OTRS TicketSubjectBuild (format "Left"): ``Re: [Ticket#<n>] <cleaned subject>``."""
    cleaned = clean_ticket_subject(subject, number)
    return f"{prefix}: [{settings.TICKET_HOOK}{number}] {cleaned}".rstrip()
