"""Links between CIs and between a CI and a ticket (both ends show them)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from faq import access as faq_access
from otrs.errors import DomainError, ErrorCode
from otrs.permissions import PermissionKey
from tickets import access as ticket_access
from tickets import actions as ticket_actions

from .. import access
from ..choices import (
    POINTED,
    SERVICE_LINK_TYPES,
    TICKET_LINK_TYPES,
    CmdbEvent,
    HistoryType,
    LinkType,
)
from ..models import ConfigItem, FaqLink, Link, ServiceLink, TicketLink
from ._base import lock_graph, record, require
from ._incidents import recalculate


def _not_found() -> DomainError:
    return DomainError(_("No such configuration item."), code=ErrorCode.NOT_ALLOWED)


def link_configitems(
    source: ConfigItem, target: ConfigItem, link_type: str, *, actor, acting_on=None
) -> Link:
    """Link two CIs (for "depends on" and "includes" the source depends on / includes the
    target). The actor needs rw on the CI they act from and ro on the other; a CI they
    cannot see is "not found". A duplicate is a no-op; the same pointed link reversed, or
    a symmetric link that exists the other way, is the same link."""
    if link_type not in LinkType.values:
        raise DomainError(_("Unknown link type."), code=ErrorCode.CI_LINK_TYPE)
    if source.pk == target.pk:
        raise DomainError(
            _("A configuration item cannot be linked to itself."), code=ErrorCode.LINK_SELF
        )
    acting_on = acting_on or source
    other = target if acting_on.pk == source.pk else source
    require(actor, acting_on)
    if not access.can(actor, other, PermissionKey.RO):
        raise _not_found()
    with transaction.atomic():
        lock_graph()
        ConfigItem.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by(
            "pk"
        ).first()
        existing = Link.objects.filter(
            Q(source=source, target=target) | Q(source=target, target=source),
            link_type=link_type,
        ).first()
        if existing is not None:
            if link_type in POINTED and existing.source_id != source.pk:
                raise DomainError(
                    _("The reverse link exists already."), code=ErrorCode.LINK_CONFLICT
                )
            return existing
        link = Link.objects.create(source=source, target=target, link_type=link_type)
        for ci, other_ci in ((source, target), (target, source)):
            record(
                ci,
                HistoryType.LINK_ADD,
                actor,
                {"type": link_type, "other": other_ci.pk, "source": source.pk},
                CmdbEvent.LINK_ADD,
            )
        recalculate({source.pk, target.pk}, actor=actor)
    return link


def unlink_configitems(link: Link, *, actor, acting_on: ConfigItem) -> None:
    """Remove a CI-CI link (rw on the CI acted from); the warning it carried clears."""
    if acting_on.pk not in (link.source_id, link.target_id):
        raise _not_found()
    require(actor, acting_on)
    with transaction.atomic():
        lock_graph()
        source, target = link.source, link.target
        deleted, _rows = Link.objects.filter(pk=link.pk).delete()
        if not deleted:
            return
        for ci, other_ci in ((source, target), (target, source)):
            record(
                ci,
                HistoryType.LINK_DELETE,
                actor,
                {"type": link.link_type, "other": other_ci.pk, "source": source.pk},
                CmdbEvent.LINK_DELETE,
            )
        recalculate({source.pk, target.pk}, actor=actor)


def link_ticket(configitem: ConfigItem, ticket_pk: int, link_type: str, *, actor) -> TicketLink:
    """Link a ticket to a CI: rw on the CI, ro on the ticket (else "not found")."""
    if link_type not in TICKET_LINK_TYPES:
        raise DomainError(_("Unknown link type."), code=ErrorCode.CI_LINK_TYPE)
    require(actor, configitem)
    try:
        ticket = ticket_access.get_or_404(actor, ticket_pk, PermissionKey.RO)
    except Http404:
        raise DomainError(_("No such ticket."), code=ErrorCode.NOT_ALLOWED) from None
    with transaction.atomic():
        lock_graph()
        link = _add_ticket_link(configitem, ticket, link_type, actor=actor)
        recalculate({configitem.pk}, actor=actor)
    return link


def _add_ticket_link(configitem: ConfigItem, ticket, link_type: str, *, actor) -> TicketLink:
    """The link row and both ends' history (the caller holds the graph lock)."""
    link, created = TicketLink.objects.get_or_create(
        configitem=configitem, ticket=ticket, defaults={"link_type": link_type}
    )
    if created:
        record(
            configitem,
            HistoryType.LINK_ADD,
            actor,
            {"type": link_type, "ticket": ticket.pk, "ticket_number": ticket.number},
            CmdbEvent.LINK_ADD,
        )
        ticket_actions.record_object_link(
            ticket,
            kind=ticket_actions.CONFIG_ITEM,
            object_id=configitem.pk,
            number=configitem.number,
            link_type=link_type,
            actor=actor,
        )
    return link


def link_affected_configitems(ticket, configitems, *, actor) -> list[TicketLink]:
    """Link a new ticket to the CIs its creator named as affected ("relevant to"): an
    agent needs to see each CI, a customer to own it (the portal's rule); anyone needs to
    see the ticket. A CI outside that is "not found" and nothing is linked."""
    if not ticket_access.can(actor, ticket, PermissionKey.RO):
        raise DomainError(_("No such ticket."), code=ErrorCode.NOT_ALLOWED)
    chosen = sorted({ci.pk for ci in configitems})
    allowed = set(access.visible_to(actor).filter(pk__in=chosen).values_list("pk", flat=True))
    if allowed != set(chosen):
        raise DomainError(_("No such configuration item."), code=ErrorCode.NOT_ALLOWED)
    if not chosen:
        return []
    with transaction.atomic():
        lock_graph()
        found = ConfigItem.objects.select_for_update().filter(pk__in=chosen).order_by("pk")
        links = [_add_ticket_link(ci, ticket, LinkType.RELEVANT_TO, actor=actor) for ci in found]
        recalculate(set(chosen), actor=actor)
    return links


def unlink_ticket(link: TicketLink, *, actor) -> None:
    require(actor, link.configitem)
    with transaction.atomic():
        lock_graph()
        deleted, _rows = TicketLink.objects.filter(pk=link.pk).delete()
        if deleted:
            record(
                link.configitem,
                HistoryType.LINK_DELETE,
                actor,
                {"type": link.link_type, "ticket": link.ticket_id},
                CmdbEvent.LINK_DELETE,
            )
            ticket_actions.record_object_link(
                link.ticket,
                kind=ticket_actions.CONFIG_ITEM,
                object_id=link.configitem_id,
                number=link.configitem.number,
                link_type=link.link_type,
                actor=actor,
                removed=True,
            )
            recalculate({link.configitem_id}, actor=actor)


def _add_side_link(configitem: ConfigItem, model, raw: dict, *, actor, defaults=None, **lookup):
    """Create a CI's link to a non-CI object once, under the CI's row lock, and record it
    with ``raw`` as the history values; a duplicate is a no-op."""
    with transaction.atomic():
        ConfigItem.objects.select_for_update().filter(pk=configitem.pk).first()
        link, created = model.objects.get_or_create(
            configitem=configitem, defaults=defaults or {}, **lookup
        )
        if created:
            record(configitem, HistoryType.LINK_ADD, actor, raw, CmdbEvent.LINK_ADD)
    return link


def _delete_side_link(link, raw: dict, *, actor) -> None:
    """Remove a CI's link to a non-CI object and record it (a link already gone: nothing)."""
    require(actor, link.configitem)
    with transaction.atomic():
        deleted, _rows = type(link).objects.filter(pk=link.pk).delete()
        if deleted:
            record(link.configitem, HistoryType.LINK_DELETE, actor, raw, CmdbEvent.LINK_DELETE)


def link_faq_item(configitem: ConfigItem, item, *, actor) -> FaqLink:
    """Link an FAQ item to a CI: rw on the CI, read on the item (else "not found")."""
    require(actor, configitem)
    if not faq_access.visible_to(actor).filter(pk=item.pk).exists():
        raise DomainError(_("No such FAQ item."), code=ErrorCode.NOT_ALLOWED)
    raw = {"type": LinkType.RELEVANT_TO, "faq": item.pk, "faq_number": item.number}
    return _add_side_link(configitem, FaqLink, raw, actor=actor, item=item)


def unlink_faq_item(link: FaqLink, *, actor) -> None:
    _delete_side_link(link, {"type": LinkType.RELEVANT_TO, "faq": link.item_id}, actor=actor)


def link_service(configitem: ConfigItem, service, link_type: str, *, actor) -> ServiceLink:
    """Link a valid service to a CI (rw on the CI); "depends on": the service depends on
    the CI."""
    if link_type not in SERVICE_LINK_TYPES:
        raise DomainError(_("Unknown link type."), code=ErrorCode.CI_LINK_TYPE)
    require(actor, configitem)
    if not service.is_valid:
        raise DomainError(_("No such service."), code=ErrorCode.NOT_ALLOWED)
    raw = {
        "type": link_type,
        "service": service.pk,
        "service_name": service.full_name,
        "source": "service",
    }
    return _add_side_link(
        configitem,
        ServiceLink,
        raw,
        actor=actor,
        defaults={"link_type": link_type},
        service=service,
    )


def unlink_service(link: ServiceLink, *, actor) -> None:
    raw = {"type": link.link_type, "service": link.service_id, "source": "service"}
    _delete_side_link(link, raw, actor=actor)
