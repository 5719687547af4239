"""The composer's own writes: drafts of answers and notes, and the agents a note mentions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..choices import HistoryType
from ..events import TicketEvent
from ..models import (
    Article,
    Draft,
    DraftAttachment,
    DraftScreen,
    Mention,
    Ticket,
    TicketWatcher,
)
from ._base import AttachmentInput, _locked, _require
from .articles import _safe_filename
from .history import record_history

# The Misc history row of a mention (tickets.history renders it).
MENTION_EVENT = "Mention"

# What each draft screen needs: an answer by mail is a rw change, a note needs note.
_DRAFT_NEEDS = {DraftScreen.EMAIL: PermissionKey.RW, DraftScreen.NOTE: PermissionKey.NOTE}
# The further fields a draft keeps (raw text, as typed), and how long each may be.
DRAFT_FIELDS = {"to": 5000, "cc": 5000, "bcc": 5000, "kind": 20}
MAX_DRAFT_BODY = 200_000


def save_draft(
    ticket: Ticket,
    screen: str,
    *,
    actor: User,
    subject: str,
    body: str,
    fields: Mapping[str, str] | None = None,
    article: Article | None = None,
    attachments: Sequence[AttachmentInput] = (),
    keep: Iterable[int] | None = None,
) -> Draft:
    """Keep what ``actor`` typed so far on ``screen`` of ``ticket`` (one draft per agent,
    ticket and screen; a newer save replaces it). A draft is the agent's own: it changes
    nothing on the ticket, so it has no history row and no event.

    ``attachments`` are added to the files the draft keeps (a file it has already, the same
    name and bytes, is not added twice); ``keep``: the ids of the draft's files still
    wanted (the others are dropped), None to keep them all."""
    screen = DraftScreen(screen)
    if not access.can(actor, ticket, _DRAFT_NEEDS[screen]):
        _refuse(ticket, _DRAFT_NEEDS[screen])
    if len(body) > MAX_DRAFT_BODY:
        raise DomainError(
            _("The draft is too long to keep (at most %(count)s characters).")
            % {"count": MAX_DRAFT_BODY},
            code=ErrorCode.NOT_ALLOWED,
        )
    if article is not None and article.ticket_id != ticket.pk:
        raise DomainError(_("That article is not on this ticket."), code=ErrorCode.NOT_ALLOWED)
    kept = {
        name: str(value)[:limit]
        for name, limit in DRAFT_FIELDS.items()
        if (value := (fields or {}).get(name))
    }
    with transaction.atomic():
        draft, _created = Draft.objects.update_or_create(
            ticket=ticket,
            user=actor,
            screen=screen,
            defaults={
                "subject": subject[:1000],
                "body": body,
                "fields": kept,
                "article": article,
                "updated_at": timezone.now(),
            },
        )
        if keep is not None:
            draft.attachments.exclude(pk__in=list(keep)).delete()
        for item in attachments:
            _keep_file(draft, item)
    return draft


def _keep_file(draft: Draft, item: AttachmentInput) -> None:
    kept = DraftAttachment(
        draft=draft,
        filename=_safe_filename(item.filename),
        content_type=item.content_type or "application/octet-stream",
    )
    kept.store(item.content, backend=settings.ATTACHMENT_STORAGE)
    same = draft.attachments.filter(filename=kept.filename, size=kept.size)
    if same.filter(blob=kept.blob, file=kept.file.name or "").exists():
        return
    kept.save()


def discard_draft(ticket: Ticket, screen: str, *, actor: User) -> bool:
    """Drop ``actor``'s draft on ``screen`` of ``ticket`` (sent, or thrown away); whether
    there was one."""
    deleted, _rows = Draft.objects.filter(
        ticket_id=ticket.pk, user_id=actor.pk, screen=DraftScreen(screen)
    ).delete()
    return bool(deleted)


def mention_agents(
    ticket: Ticket, article: Article, users: Iterable[User], *, actor: User
) -> list[Mention]:
    """``actor`` named ``users`` in ``article`` (a note): each becomes a watcher, the
    ticket's history says so, and the TicketMention event tells them (the agent
    notification "mentioned", see :mod:`tickets.notifications`). Every one must be an
    active agent who may read the ticket, or nothing is written."""
    created = []
    with transaction.atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.NOTE)
        if article.ticket_id != locked.pk:
            raise DomainError(_("That article is not on this ticket."), code=ErrorCode.NOT_ALLOWED)
        for user in sorted({u.pk: u for u in users}.values(), key=lambda u: u.pk):
            if not (
                user.is_agent and user.is_active and access.can(user, locked, PermissionKey.RO)
            ):
                raise DomainError(
                    _("%(user)s may not read ticket %(number)s and cannot be mentioned.")
                    % {"user": user.get_username(), "number": locked.number},
                    code=ErrorCode.PERMISSION_DENIED,
                )
            mention, new = Mention.objects.get_or_create(
                ticket=locked, article=article, user=user, defaults={"created_by": actor}
            )
            if not new:
                continue
            created.append(mention)
            _watcher, watching = TicketWatcher.objects.get_or_create(ticket=locked, user=user)
            if watching:
                record_history(locked, HistoryType.SUBSCRIBE, actor, new=user.pk)
            record_history(
                locked,
                HistoryType.MISC,
                actor,
                article=article,
                new=user.pk,
                extra={"event": MENTION_EVENT, "login": user.get_username()},
                event=TicketEvent.TICKET_MENTION,
            )
    return created


def _refuse(ticket: Ticket, need: str) -> None:
    raise DomainError(
        _("You do not have the “%(key)s” permission on ticket %(number)s.")
        % {"key": PermissionKey(need).label, "number": ticket.number},
        code=ErrorCode.PERMISSION_DENIED,
    )
