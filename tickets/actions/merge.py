"""Merging tickets (OTRS spec section 8) and undoing a merge."""

from __future__ import annotations

from typing import cast

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs.accounts.models import User
from otrs.bulk import load
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey

from .. import generated
from ..choices import (
    UNMERGEABLE_STATE_TYPES,
    Channel,
    HistoryType,
    LinkType,
    SenderType,
    StateType,
    TicketFlagKey,
)
from ..models import (
    MAX_MERGE_HOPS,
    Article,
    MergeRecord,
    Ticket,
    TicketFlag,
    TicketHistory,
    TicketLink,
    TicketWatcher,
    merge_target_id,
)
from ._base import (
    ArticleInput,
    _locked_many,
    _refresh,
    _require,
    _save,
    _state_of_type,
)
from .articles import _add_article
from .custom_fields import copy_fields_on_merge
from .fields import _before_change, _set_state
from .history import record_history
from .links import _create_link, _links_between
from .versions import check_version


def resolve_number(number: str) -> Ticket | None:
    """The ticket a number refers to, following merges (at most ten hops, as OTRS)."""
    # One hand-built statement (otrs.bulk.load): every follow-up by subject number asks this.
    ticket = cast("Ticket | None", load(Ticket, "t.number = %s", [number], related="owner"))
    if ticket is None or ticket.merged_into_id is None:
        return ticket
    target = merge_target_id(ticket.pk)
    return Ticket.objects.get(pk=target) if target is not None else None


def merge_tickets(
    source: Ticket,
    target: Ticket,
    *,
    actor: User,
    expected_version: str | None = None,
    lock_if_unlocked: bool = False,
) -> MergeRecord:
    """Merge ``source`` into ``target`` (spec section 8): articles, article history, links
    and watchers move; ``source`` becomes "merged", a child of ``target``, and keeps a note.
    What moved is recorded so that :func:`unmerge_ticket` can put it back.

    Both rows are locked first, in id order, so that two merges in opposite directions
    queue up (the second finds its source or target merged) instead of deadlocking; only
    then is ``expected_version`` (of ``source``) checked and, with ``lock_if_unlocked`` (OTRS
    RequiredLock), an unlocked ``source`` locked to the actor."""
    if source.pk == target.pk:
        raise DomainError(_("A ticket cannot be merged into itself."), code=ErrorCode.MERGE_SELF)
    merged_state = _state_of_type(StateType.MERGED)
    with transaction.atomic():
        tickets = _locked_many([source, target])
        src, tgt = tickets[source.pk], tickets[target.pk]
        _require(actor, src, PermissionKey.RW)
        _require(actor, tgt, PermissionKey.RW)
        if src.state.state_type == StateType.MERGED:
            raise DomainError(
                _("Ticket %(number)s is already merged.") % {"number": src.number},
                code=ErrorCode.MERGE_SOURCE_MERGED,
            )
        if tgt.state.state_type in UNMERGEABLE_STATE_TYPES:
            raise DomainError(
                _("Ticket %(number)s is merged or removed; nothing can be merged into it.")
                % {"number": tgt.number},
                code=ErrorCode.MERGE_TARGET_MERGED,
            )
        _before_change(
            src, actor, expected_version=expected_version, lock_if_unlocked=lock_if_unlocked
        )
        record = MergeRecord(
            source=src,
            target=tgt,
            previous_state_id=src.state_id,
            previous_pending_until=src.pending_until,
            merged_by=actor,
        )

        article_ids = list(Article.objects.filter(ticket=src).values_list("pk", flat=True))
        Article.objects.filter(pk__in=article_ids).update(ticket=tgt)
        history_ids = list(
            TicketHistory.objects.filter(ticket=src, article__isnull=False).values_list(
                "pk", flat=True
            )
        )
        TicketHistory.objects.filter(pk__in=history_ids).update(ticket=tgt)
        record.article_ids, record.history_ids = article_ids, history_ids

        watcher_ids = list(
            TicketWatcher.objects.filter(ticket=src).values_list("user_id", flat=True)
        )
        already = set(TicketWatcher.objects.filter(ticket=tgt).values_list("user_id", flat=True))
        added = [uid for uid in watcher_ids if uid not in already]
        TicketWatcher.objects.bulk_create([TicketWatcher(ticket=tgt, user_id=u) for u in added])
        TicketWatcher.objects.filter(ticket=src).delete()
        record.watcher_user_ids, record.added_watcher_ids = watcher_ids, added

        record.links_before = _repoint_links(src, tgt)
        copy_fields_on_merge(src, tgt, actor)

        # Stored in English, shown in the reader's language (tickets.generated).
        note = ArticleInput(
            channel=Channel.INTERNAL,
            sender_type=SenderType.AGENT,
            is_visible_for_customer=True,
            subject=generated.MERGED_SUBJECT,
            body=generated.merge_note_body(src.number, tgt.number),
        )
        note_article = _add_article(src, note, actor, history_type=HistoryType.ADD_NOTE)
        record.note_article_pk = note_article.pk
        merged = {"source_number": src.number, "target_number": tgt.number}
        record_history(src, HistoryType.MERGED, actor, old=src.pk, new=tgt.pk, extra=merged)
        record_history(tgt, HistoryType.MERGED, actor, old=src.pk, new=tgt.pk, extra=merged)
        record.merge_link_pk = _create_link(tgt, src, LinkType.PARENT_CHILD, actor).pk

        src.merged_into = tgt
        _set_state(src, merged_state, actor)
        _save(src, actor, "merged_into", "unlock_anchor_at")
        TicketFlag.objects.filter(ticket=tgt, key=TicketFlagKey.SEEN).delete()
        _save(tgt, actor)
        record.save()
    _refresh(source, src)
    _refresh(target, tgt)
    return record


def _repoint_links(src: Ticket, tgt: Ticket) -> list:
    """Move the source's links to the target, dropping duplicates and would-be self links.
    Returns the links as they were, with their ids (a repointed link keeps its id)."""
    links = list(TicketLink.objects.filter(Q(source=src) | Q(target=src)))
    before = [[link.pk, link.source_id, link.target_id, link.link_type] for link in links]
    for link in links:
        other = link.target_id if link.source_id == src.pk else link.source_id
        if other == tgt.pk or _links_between(tgt.pk, other).exists():
            link.delete()
            continue
        if link.source_id == src.pk:
            link.source = tgt
        else:
            link.target = tgt
        link.save(update_fields=["source", "target"])
    return before


def unmerge_ticket(source: Ticket, *, actor: User, expected_version: str | None = None) -> Ticket:
    """Undo the merge of ``source``: its articles, article history, links, watchers and
    previous state (with its pending time) come back; the merge link goes; history
    Unmerged on both tickets.

    Articles that travelled on through a later merge of the target are fetched from wherever
    the target's merge chain ends; anything added to the target since stays there.
    """
    record = (
        MergeRecord.objects.filter(source=source, unmerged_at__isnull=True)
        .order_by("-merged_at", "-id")
        .first()
    )
    if record is None or source.merged_into_id is None:
        raise DomainError(
            _("Ticket %(number)s is not merged.") % {"number": source.number},
            code=ErrorCode.NOT_MERGED,
        )
    chain = _merge_chain(record.target_id)
    with transaction.atomic():
        tickets = _locked_many([source.pk, *chain])
        src, tgt = tickets[source.pk], tickets[record.target_id]
        _require(actor, src, PermissionKey.RW)
        _require(actor, tgt, PermissionKey.RW)
        check_version(src, expected_version, actor)
        if src.merged_into_id != record.target_id:
            raise DomainError(_("The ticket changed meanwhile; try again."), code=ErrorCode.STALE)

        Article.objects.filter(pk__in=record.article_ids, ticket_id__in=chain).update(ticket=src)
        # The ticket stands on its own again: its customer no longer reads that it was merged
        # (agents still see the note, as internal, beside the Unmerged history row).
        if record.note_article_pk is not None:
            Article.objects.filter(pk=record.note_article_pk, ticket=src).update(
                is_visible_for_customer=False
            )
        TicketHistory.objects.filter(pk__in=record.history_ids, ticket_id__in=chain).update(
            ticket=src
        )
        TicketWatcher.objects.filter(ticket=tgt, user_id__in=record.added_watcher_ids).delete()
        TicketWatcher.objects.bulk_create(
            [TicketWatcher(ticket=src, user_id=u) for u in record.watcher_user_ids],
            ignore_conflicts=True,
        )

        # The merge link may have moved on with a later merge of the target: find it by id.
        merge_link = (
            TicketLink.objects.filter(pk=record.merge_link_pk).first()
            if record.merge_link_pk is not None
            else None
        )
        if merge_link is not None:
            parent = tickets.get(merge_link.source_id) or tgt
            merge_link.delete()
            for this, other in ((parent, src), (src, parent)):
                record_history(
                    this,
                    HistoryType.TICKET_LINK_DELETE,
                    actor,
                    old=other.pk,
                    extra={"number": other.number, "link_type": LinkType.PARENT_CHILD},
                )
        _restore_links(record, src, chain, actor)

        unmerged = {"source_number": src.number, "target_number": tgt.number}
        record_history(src, HistoryType.UNMERGED, actor, old=tgt.pk, new=src.pk, extra=unmerged)
        record_history(tgt, HistoryType.UNMERGED, actor, old=tgt.pk, new=src.pk, extra=unmerged)
        src.merged_into = None
        _save(src, actor, "merged_into")
        _set_state(src, record.previous_state, actor, pending_until=record.previous_pending_until)
        TicketFlag.objects.filter(ticket__in=[src, tgt], key=TicketFlagKey.SEEN).delete()
        _save(tgt, actor)
        record.unmerged_at = timezone.now()
        record.save(update_fields=["unmerged_at"])
    _refresh(source, src)
    return source


def _restore_links(record: MergeRecord, src: Ticket, chain: list[int], actor: User) -> None:
    """Put the source's links back as they were before ``record``'s merge.

    A link the merge repointed is found by its id and moved back only while it still hangs
    on the merge chain (a later unmerge may already have taken it elsewhere). A link the
    merge dropped as a duplicate is recreated if its pair is free again, except the
    parent/child link of a merge that has since been undone.
    """
    undone_merge_links = set(
        MergeRecord.objects.filter(
            unmerged_at__isnull=False, merge_link_pk__isnull=False
        ).values_list("merge_link_pk", flat=True)
    )
    current = TicketLink.objects.in_bulk([link[0] for link in record.links_before])
    alive = set(
        Ticket.objects.filter(
            pk__in={pk for link in record.links_before for pk in link[1:3]}
        ).values_list("pk", flat=True)
    )
    for link_pk, source_id, target_id, link_type in record.links_before:
        link = current.get(link_pk)
        if link is not None:
            repointed_source = link.source_id in chain and link.target_id == target_id
            repointed_target = link.target_id in chain and link.source_id == source_id
            if repointed_source or repointed_target:
                link.source_id, link.target_id = source_id, target_id
                link.save(update_fields=["source", "target"])
            continue
        if (
            link_pk in undone_merge_links
            or not {source_id, target_id} <= alive
            or _links_between(source_id, target_id).exists()
        ):
            continue
        TicketLink.objects.create(
            source_id=source_id, target_id=target_id, link_type=link_type, created_by=actor
        )


def _merge_chain(ticket_id: int) -> list[int]:
    """``ticket_id`` and the tickets it was merged into, in order."""
    chain = [ticket_id]
    current = Ticket.objects.filter(pk=ticket_id).values_list("merged_into_id", flat=True).first()
    while current is not None and current not in chain and len(chain) <= MAX_MERGE_HOPS:
        chain.append(current)
        current = Ticket.objects.filter(pk=current).values_list("merged_into_id", flat=True).first()
    return chain
