"""Read queries of the ticket zoom: the ticket with its articles and history
(:func:`ticket_zoom`), its linked tickets, watchers, merges and seen flags. Each function
runs a fixed number of queries, however many links, watchers or articles the ticket has.
Other tickets are named only when the reader may see them (:func:`tickets.access.visible_to`),
so the zoom never tells what lies behind a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, prefetch_related_objects

from otrs.permissions import PermissionKey

from .. import access
from ..choices import Channel, LinkType, SenderType, TicketFlagKey
from ..models import (
    MAX_MERGE_HOPS,
    Article,
    ArticleFlag,
    Attachment,
    MailDelivery,
    Ticket,
    TicketHistory,
    TicketLink,
    TicketWatcher,
    TimeAccounting,
)

# How a linked ticket relates to the one on screen.
NORMAL, PARENT, CHILD = "normal", "parent", "child"


@dataclass(frozen=True)
class LinkedTicket:
    """Another ticket linked to the one on screen, seen from the one on screen."""

    ticket: Ticket
    relation: str  # NORMAL, PARENT (the other is the parent) or CHILD


@dataclass(frozen=True)
class MergeHop:
    """One step of a merge chain: ``ticket`` and its number (``None`` and "" if the reader
    may not see it)."""

    number: str
    ticket: Ticket | None


def linked_tickets(user, ticket: Ticket) -> list[LinkedTicket]:
    """The tickets linked to ``ticket`` that ``user`` may see, with their states.

    Two queries: the links with both ends, then which of the other ends are visible.
    """
    links = list(
        TicketLink.objects.filter(Q(source=ticket) | Q(target=ticket))
        .select_related("source__state", "target__state")
        .order_by("link_type", "pk")
    )
    if not links:
        return []
    others = [link.target if link.source_id == ticket.pk else link.source for link in links]
    visible = set(
        access.visible_to(user, PermissionKey.RO)
        .filter(pk__in=[other.pk for other in others])
        .values_list("pk", flat=True)
    )
    result = []
    for link, other in zip(links, others, strict=True):
        if other.pk not in visible:
            continue
        if link.link_type == LinkType.PARENT_CHILD:
            # The source of a parent/child link is the parent.
            relation = CHILD if link.source_id == ticket.pk else PARENT
        else:
            relation = NORMAL
        result.append(LinkedTicket(ticket=other, relation=relation))
    return result


def watchers(ticket: Ticket) -> list:
    """The agents watching ``ticket``, by user name (one query)."""
    rows = (
        TicketWatcher.objects.filter(ticket=ticket)
        .select_related("user")
        .order_by("user__username")
    )
    return [row.user for row in rows]


def merged_from(user, ticket: Ticket) -> list[Ticket]:
    """The tickets merged into ``ticket`` that ``user`` may see (one query)."""
    return list(
        access.visible_to(user, PermissionKey.RO)
        .filter(merged_into=ticket)
        .select_related("state")
        .order_by("number")
    )


def merge_chain(user, ticket: Ticket) -> list[MergeHop]:
    """Where a merged ticket went: its target, the target's target, ... (as far as merges
    go, at most OTRS's ten hops). Empty for a ticket that is not merged.

    One query per hop (merges of merges are rare), then one for which hops are visible.
    """
    chain: list[Ticket] = []
    seen = {ticket.pk}
    next_id = ticket.merged_into_id
    while next_id is not None and next_id not in seen and len(chain) < MAX_MERGE_HOPS:
        hop = Ticket.objects.filter(pk=next_id).only("pk", "number", "merged_into").first()
        if hop is None:
            break
        chain.append(hop)
        seen.add(hop.pk)
        next_id = hop.merged_into_id
    if not chain:
        return []
    visible = {
        t.pk: t
        for t in access.visible_to(user, PermissionKey.RO)
        .filter(pk__in=[hop.pk for hop in chain])
        .select_related("state")
    }
    # A ticket the reader may not see is not even named by its number.
    return [
        MergeHop(number=hop.number if hop.pk in visible else "", ticket=visible.get(hop.pk))
        for hop in chain
    ]


def seen_article_ids(user, ticket: Ticket) -> set[int]:
    """The ids of the articles of ``ticket`` that ``user`` has already seen (one query)."""
    return set(
        ArticleFlag.objects.filter(
            article__ticket=ticket, user=user, key=TicketFlagKey.SEEN
        ).values_list("article_id", flat=True)
    )


@dataclass(frozen=True)
class TicketZoom:
    """A ticket with everything the zoom page shows."""

    ticket: Ticket
    articles: list[Article]
    history: list[TicketHistory]
    # The time accounted on the ticket (OTRS TimeUnits); each article's as
    # ``article.time_units_shown``.
    time_units_total: Decimal | None = None


def ticket_zoom(user, ticket_id: int, *, bodies_of_last: int | None = None) -> TicketZoom:
    """The ticket (``Http404`` if missing or not visible), its articles with their authors
    and attachments, and its history with the actors.

    ``bodies_of_last=N`` loads the bodies of the newest N articles only (one more query);
    the older ones come without ``body``/``body_html``, which is most of what a long ticket
    weighs. Touching a missing body would cost a query per article, so callers that pass N
    show older articles without their bodies."""
    ticket = access.get_or_404(user, ticket_id, PermissionKey.RO)
    # The attachments' bytes are a blob row or a file, read only when someone downloads one.
    attachments = Attachment.objects.order_by("pk")
    articles_qs = (
        Article.objects.filter(ticket=ticket)
        .select_related("created_by")
        .prefetch_related(Prefetch("attachments", queryset=attachments))
        .order_by("created_at", "id")
    )
    if bodies_of_last is None:
        articles = list(articles_qs)
    else:
        articles = list(articles_qs.defer("body", "body_html"))
        newest = articles[-bodies_of_last:] if bodies_of_last > 0 else []
        bodies = Article.objects.filter(pk__in=[a.pk for a in newest]).values_list(
            "pk", "body", "body_html"
        )
        by_pk = {a.pk: a for a in newest}
        for pk, body, body_html in bodies:
            by_pk[pk].body, by_pk[pk].body_html = body, body_html
    # How the mail we sent fared, as ``article.deliveries_shown`` (one query, only when the
    # ticket has mail from us); the message source stays in the database.
    mails = [a for a in articles if a.channel == Channel.EMAIL]
    ours = [a for a in mails if a.sender_type != SenderType.CUSTOMER]
    prefetch_related_objects(
        ours,
        Prefetch(
            "deliveries",
            queryset=MailDelivery.objects.select_related("message")
            .defer("message__raw")
            .order_by("message_id"),
            to_attr="delivery_links",
        ),
    )
    for article in ours:
        # Attributes the prefetch and the zoom template share, not model fields.
        links = article.delivery_links  # type: ignore[attr-defined]
        article.deliveries_shown = [link.message for link in links]  # type: ignore[attr-defined]
    history = list(
        TicketHistory.objects.filter(ticket=ticket)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    total = _time_units(ticket, articles)
    return TicketZoom(ticket=ticket, articles=articles, history=history, time_units_total=total)


def _time_units(ticket: Ticket, articles: list[Article]) -> Decimal | None:
    """Set ``article.time_units_shown`` (None: none accounted) and return the ticket's total
    (None when nothing was accounted), in one query."""
    per_article: dict[int | None, Decimal] = {}
    for article_id, units in TimeAccounting.objects.filter(ticket=ticket).values_list(
        "article_id", "time_units"
    ):
        per_article[article_id] = per_article.get(article_id, Decimal(0)) + units
    for article in articles:
        article.time_units_shown = per_article.get(article.pk)  # type: ignore[attr-defined]
    return sum(per_article.values(), Decimal(0)) if per_article else None
