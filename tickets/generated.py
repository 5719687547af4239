"""Texts the system writes into tickets and articles itself, stored in English and shown in
the reader's language.

A ticket without a title and the note a merge leaves were stored in the language of whoever
caused them, so a German agent read "Ticket Merged" written for an English colleague (and a
customer read the agent's language). They are now stored as the English message ids and
translated when shown: :meth:`Ticket.shown_title`, :meth:`Article.shown_subject`,
:meth:`Article.shown_body`. Anything else is shown as it was written.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

UNTITLED = gettext_noop("(no title)")
MERGED_SUBJECT = gettext_noop("Ticket Merged")
MERGED_BODY = gettext_noop("Ticket %(source)s merged into ticket %(target)s.")
_MERGED_BODY = re.compile(r"Ticket (?P<source>\S+) merged into ticket (?P<target>\S+)\.")


def merge_note_body(source: str, target: str) -> str:
    return MERGED_BODY % {"source": source, "target": target}


def title(raw: str) -> str:
    return _(UNTITLED) if raw == UNTITLED else raw


def subject(raw: str) -> str:
    return _(MERGED_SUBJECT) if raw == MERGED_SUBJECT else raw


def body(raw: str) -> str:
    found = _MERGED_BODY.fullmatch(raw)
    return _(MERGED_BODY) % found.groupdict() if found else raw
