"""Links between tickets, watchers and seen flags."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import access
from ..choices import (
    HistoryType,
    LinkType,
    TicketFlagKey,
)
from ..models import (
    Article,
    ArticleFlag,
    Ticket,
    TicketFlag,
    TicketLink,
    TicketWatcher,
)
from ._base import (
    _locked,
    _locked_many,
    _require,
    atomic,
)
from .history import record_history
from .versions import check_version


def _links_between(a: int, b: int):
    """The link between two tickets, whichever its direction (at most one exists)."""
    return TicketLink.objects.filter(Q(source_id=a, target_id=b) | Q(source_id=b, target_id=a))


def link_tickets(
    source: Ticket,
    target: Ticket,
    link_type: str = LinkType.NORMAL,
    *,
    actor: User,
    acting_on: Ticket | None = None,
) -> TicketLink:
    """Link two tickets. For parent/child the source is the parent. The actor needs ``rw``
    on the ticket they act from (``acting_on``, by default the source) and ``ro`` on the
    other, so "this ticket is a child of that one" works like "that one is my child". A
    duplicate is a no-op; another link type between the same two tickets, or the reversed
    parent/child link, is refused."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be linked to itself."), code=ErrorCode.LINK_SELF)
    acting_on = acting_on or source
    if acting_on.pk not in (source.pk, target.pk):
        raise ValueError("acting_on must be one of the two linked tickets")
    with atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        this, other = (src, tgt) if acting_on.pk == src.pk else (tgt, src)
        _require(actor, this, PermissionKey.RW)
        _require(actor, other, PermissionKey.RO)
        existing = _links_between(src.pk, tgt.pk).first()
        if existing is not None:
            same_direction = existing.source_id == src.pk
            if existing.link_type == link_type and (same_direction or link_type == LinkType.NORMAL):
                return existing
            raise DomainError(
                _("Tickets %(a)s and %(b)s are already linked in another way.")
                % {"a": src.number, "b": tgt.number},
                code=ErrorCode.LINK_CONFLICT,
            )
        return _create_link(src, tgt, link_type, actor)


def _create_link(src: Ticket, tgt: Ticket, link_type: str, actor: User) -> TicketLink:
    link = TicketLink.objects.create(source=src, target=tgt, link_type=link_type, created_by=actor)
    for this, other, role in ((src, tgt, "source"), (tgt, src, "target")):
        record_history(
            this,
            HistoryType.TICKET_LINK_ADD,
            actor,
            new=other.pk,
            extra={"number": other.number, "link_type": link_type, "role": role},
        )
    return link


def unlink_tickets(
    source: Ticket, target: Ticket, *, actor: User, expected_version: str | None = None
) -> None:
    """Remove the link between two tickets, whichever its direction (``rw`` on the source;
    ``expected_version`` is the source's, see :mod:`tickets.actions.versions`)."""
    with atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        _require(actor, src, PermissionKey.RW)
        check_version(src, expected_version, actor)
        link = _links_between(src.pk, tgt.pk).first()
        if link is None:
            return
        link_type = link.link_type
        link.delete()
        for this, other in ((src, tgt), (tgt, src)):
            record_history(
                this,
                HistoryType.TICKET_LINK_DELETE,
                actor,
                old=other.pk,
                extra={"number": other.number, "link_type": link_type},
            )


def watch_ticket(ticket: Ticket, *, actor: User, user: User | None = None) -> TicketWatcher:
    """Subscribe ``user`` (default: the actor) to the ticket; the watcher needs ``ro``."""
    user = user or actor
    with atomic():
        locked = _locked(ticket)
        _require(actor, locked, PermissionKey.RO)
        if not user.is_agent or not access.can(user, locked, PermissionKey.RO):
            raise DomainError(
                _("%(user)s may not read ticket %(number)s.")
                % {"user": user.get_username(), "number": locked.number},
                code=ErrorCode.PERMISSION_DENIED,
            )
        watcher, created = TicketWatcher.objects.get_or_create(ticket=locked, user=user)
        if created:
            record_history(locked, HistoryType.SUBSCRIBE, actor, new=user.pk)
    return watcher


def unwatch_ticket(ticket: Ticket, *, actor: User, user: User | None = None) -> None:
    """Unsubscribe ``user`` (default: the actor); others' subscriptions need ``rw``."""
    user = user or actor
    with atomic():
        locked = _locked(ticket)
        if user.pk != actor.pk:
            _require(actor, locked, PermissionKey.RW)
        deleted, _rows = TicketWatcher.objects.filter(ticket=locked, user=user).delete()
        if deleted:
            record_history(locked, HistoryType.UNSUBSCRIBE, actor, old=user.pk)


def mark_seen(ticket: Ticket, *, user: User) -> None:
    """Mark every article and the ticket as seen by ``user``, who must be able to read it."""
    if not user.is_agent:
        raise DomainError(_("Only agents keep seen flags."), code=ErrorCode.PERMISSION_DENIED)
    _require(user, ticket, PermissionKey.RO)
    with atomic():
        # One correlated NOT EXISTS, answered by the (article, user, key) unique index per
        # article of this ticket. (``.exclude(flags__user=..., flags__key=...)`` made two
        # separate NOT EXISTS, and PostgreSQL scanned every seen flag of the agent for them.)
        seen = ArticleFlag.objects.filter(article=OuterRef("pk"), user=user, key=TicketFlagKey.SEEN)
        unseen = (
            Article.objects.filter(ticket=ticket).exclude(Exists(seen)).values_list("pk", flat=True)
        )
        ArticleFlag.objects.bulk_create(
            [ArticleFlag(article_id=pk, user=user, key=TicketFlagKey.SEEN) for pk in unseen],
            ignore_conflicts=True,
        )
        TicketFlag.objects.get_or_create(ticket=ticket, user=user, key=TicketFlagKey.SEEN)
