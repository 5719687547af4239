"""Which ticket a mail follows up, if any (spec 3.3; the first rule that finds one wins):

1. a bounce: the ticket of the article whose Message-ID the bounce reports (a DSN's report,
   or the copy of our mail that a plain-text report from MAILER-DAEMON or postmaster
   quotes, as qmail and older MTAs send them);
2. a ticket number after the ticket hook in the subject;
3. ``In-Reply-To`` and ``References`` (newest first) against the Message-IDs of the articles
   of any ticket;
4. optionally (``POSTMASTER_FOLLOW_UP_IN_BODY``) a ticket number in the body.

A merged ticket stands for its merge target (followed through chains, as ticket numbers are).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from otrs.mail.parsing import ParsedMail

from .. import numbers
from ..actions import resolve_number
from ..choices import SenderType
from ..models import Article, Ticket, merge_target_id, message_id_hash

# Plain-text bounces: who sends them, and the Message-ID line of the mail they quote.
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
_QUOTED_ID = re.compile(r"^[ \t>]*message-id:[ \t]*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class FollowUp:
    ticket: Ticket
    how: str  # "bounce", "subject", "references", "body"
    article: Article | None = None  # the article a bounce or a reference points at


def detect(mail: ParsedMail) -> FollowUp | None:
    if mail.is_bounce and mail.bounce_message_id:
        article = _article_by_message_id([mail.bounce_message_id])
        if article is not None:
            return _final(FollowUp(article.ticket, "bounce", article))
    elif _BOUNCE_SENDER.match(mail.from_address or ""):
        quoted = _QUOTED_ID.findall(mail.body_text[:200_000])
        article = _article_by_message_id(quoted, ours_only=True)
        if article is not None:
            return _final(FollowUp(article.ticket, "bounce", article))
    ticket = _by_number(mail.subject)
    if ticket is not None:
        return FollowUp(ticket, "subject")
    ids = ([mail.in_reply_to] if mail.in_reply_to else []) + list(reversed(mail.references))
    if ids:
        article = _article_by_message_id(ids)
        if article is not None:
            return _final(FollowUp(article.ticket, "references", article))
    if settings.POSTMASTER_FOLLOW_UP_IN_BODY:
        ticket = _by_number(mail.body_text[:20000])
        if ticket is not None:
            return FollowUp(ticket, "body")
    return None


def candidate_numbers(text: str) -> list[str]:
    """Every ticket number after the hook in ``text``, in order."""
    hook = re.escape(settings.TICKET_HOOK)
    pattern = rf"{hook}(?::\s{{0,2}})?({numbers.generator().pattern()})"
    return re.findall(pattern, text, flags=re.IGNORECASE)


def _by_number(text: str) -> Ticket | None:
    for number in candidate_numbers(text):
        ticket = resolve_number(number)
        if ticket is not None:
            return ticket
    return None


def _article_by_message_id(ids: list[str], *, ours_only: bool = False) -> Article | None:
    """The article with the first of ``ids`` (in the given order) that any article has;
    with ``ours_only`` only articles we sent (agent or system)."""
    hashes = [message_id_hash(i) for i in ids if i]
    if not hashes:
        return None
    articles = Article.objects.filter(message_id_md5__in=hashes)
    if ours_only:
        articles = articles.filter(sender_type__in=(SenderType.AGENT, SenderType.SYSTEM))
    found = {a.message_id_md5: a for a in articles.select_related("ticket").order_by("id")}
    for digest in hashes:
        if digest in found:
            return found[digest]
    return None


def _final(found: FollowUp) -> FollowUp:
    """A merged ticket stands for its merge target (a chain too long to follow: itself)."""
    if found.ticket.merged_into_id is None:
        return found
    target = merge_target_id(found.ticket.pk)
    if target is None:
        return found
    return FollowUp(Ticket.objects.get(pk=target), found.how, found.article)
