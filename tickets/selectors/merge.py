"""What a merge would move and what an unmerge would bring back, as the merge screens show
it; other tickets are named only when the reader may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from otrs.accounts.models import User
from otrs.permissions import PermissionKey

from .. import access
from ..choices import LinkType, StateType
from ..models import Article, MergeRecord, State, Ticket, TicketLink, TicketWatcher


@dataclass(frozen=True)
class LinkFate:
    other: Ticket | None  # None: a ticket the agent may not read
    link_type: str
    dropped: bool  # a duplicate of a target link, or a link to the target itself

    @property
    def label(self) -> str:
        return str(LinkType(self.link_type).label)


@dataclass(frozen=True)
class MergePreview:
    target: Ticket
    articles: int
    watchers: list[tuple[User, bool]]  # (watcher, already watches the target)
    links: list[LinkFate]
    merged_state: State | None


def merge_preview(ticket: Ticket, target: Ticket, user) -> MergePreview:
    """What merging ``ticket`` into ``target`` moves (a fixed number of queries)."""
    watchers = TicketWatcher.objects.filter(ticket=ticket).select_related("user")
    already = set(TicketWatcher.objects.filter(ticket=target).values_list("user_id", flat=True))
    return MergePreview(
        target=target,
        articles=Article.objects.filter(ticket=ticket).count(),
        watchers=[(w.user, w.user_id in already) for w in watchers.order_by("user__username")],
        links=_link_fates(ticket, target, user),
        merged_state=State.objects.valid()
        .filter(state_type=StateType.MERGED)
        .order_by("pk")
        .first(),
    )


def _link_fates(ticket: Ticket, target: Ticket, user) -> list[LinkFate]:
    links = list(TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket)).order_by("pk"))
    others = {lk.target_id if lk.source_id == ticket.pk else lk.source_id for lk in links}
    readable = access.visible_to(user).filter(pk__in=others).only("pk", "number", "title")
    shown = {t.pk: t for t in readable}
    with_target = TicketLink.objects.filter(
        Q(source=target, target__in=others) | Q(target=target, source__in=others)
    ).values_list("source_id", "target_id")
    duplicate = {pk for pair in with_target for pk in pair} | {target.pk}
    fates = []
    for lk in links:
        other = lk.target_id if lk.source_id == ticket.pk else lk.source_id
        fates.append(LinkFate(shown.get(other), lk.link_type, other in duplicate))
    return fates


@dataclass(frozen=True)
class UnmergePreview:
    record: MergeRecord
    target_readable: bool
    articles: int
    watchers: list[User]
    links: int
    previous_pending_until: datetime | None


def unmerge_preview(ticket: Ticket, user) -> UnmergePreview | None:
    """What taking ``ticket`` out of its merge brings back; None if it is not merged."""
    record = (
        MergeRecord.objects.filter(source=ticket, unmerged_at__isnull=True)
        .select_related("target__state", "previous_state")
        .order_by("-merged_at", "-id")
        .first()
    )
    if record is None or ticket.merged_into_id is None:
        return None
    return UnmergePreview(
        record=record,
        target_readable=access.can(user, record.target, PermissionKey.RO),
        articles=Article.objects.filter(pk__in=record.article_ids).exclude(ticket=ticket).count(),
        watchers=list(User.objects.filter(pk__in=record.watcher_user_ids).order_by("username")),
        links=len(record.links_before),
        previous_pending_until=record.previous_pending_until,
    )
