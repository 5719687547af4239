"""Reads for the CMDB's pages: the overview's counts, filtered lists, a CI page's parts.
Everything starts from :mod:`cmdb.access`; the CI page's query count does not grow with
the number of versions' values, links or tickets shown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from faq import access as faq_access
from otrs.permissions import PermissionKey
from otrs.web.pagination import Page, paginate
from tickets import access as ticket_access

from . import access, attributes
from .choices import POINTED, REVERSE_LABELS, Catalog, Functionality, LinkType
from .models import (
    AttributeValue,
    CatalogItem,
    ConfigItem,
    FaqLink,
    History,
    Link,
    ServiceLink,
    TicketLink,
    Version,
)

# The CI page shows the first links; its links page has them all, a page at a time.
LINKS_SHOWN = 50
LINKS_PER_PAGE = 100
TICKETS_SHOWN = 50


def states(catalog: str) -> list[CatalogItem]:
    return list(CatalogItem.objects.filter(catalog=catalog, valid=True).order_by("order", "pk"))


@dataclass
class ClassRow:
    ci_class: CatalogItem
    total: int = 0
    by_deployment: dict[int, int] = field(default_factory=dict)
    by_incident: dict[int, int] = field(default_factory=dict)


def overview(user) -> tuple[list[ClassRow], list[CatalogItem], list[CatalogItem]]:
    """Per class the agent may see: CIs per deployment and per current incident state."""
    classes = list(access.classes_for(user).order_by("order", "name"))
    rows = {c.pk: ClassRow(c) for c in classes}
    # The CIs of those classes, named by id: what visible_to() gives an agent, but with the
    # ids as a list PostgreSQL counts the 200,000 CIs in one scan (35 ms) instead of
    # misjudging the class subquery and probing them class by class (100 ms).
    counts = (
        ConfigItem.objects.filter(ci_class_id__in=list(rows))
        .values("ci_class_id", "deployment_state_id", "current_incident_state_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for entry in counts:
        row = rows.get(entry["ci_class_id"])
        if row is None:
            continue
        row.total += entry["n"]
        dep, inc = entry["deployment_state_id"], entry["current_incident_state_id"]
        row.by_deployment[dep] = row.by_deployment.get(dep, 0) + entry["n"]
        row.by_incident[inc] = row.by_incident.get(inc, 0) + entry["n"]
    return list(rows.values()), states(Catalog.DEPLOYMENT_STATE), states(Catalog.INCIDENT_STATE)


def filtered(user, params: dict[str, Any]) -> QuerySet:
    """The list: class, states, name/number text and searchable attribute values."""
    rows = access.visible_to(user)
    if params.get("ci_class"):
        rows = rows.filter(ci_class=params["ci_class"])
    if params.get("deployment_state"):
        rows = rows.filter(deployment_state__in=params["deployment_state"])
    if params.get("incident_state"):
        rows = rows.filter(current_incident_state__in=params["incident_state"])
    text = (params.get("q") or "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(number__startswith=text))
    for attribute, value in params.get("attributes", []):
        column = attributes.Spec(attribute).column
        lookup = {"attribute": attribute}
        if column == "value_text":
            lookup["value_text__istartswith"] = value
        else:
            lookup[column] = value
        rows = rows.filter(
            last_version_id__in=AttributeValue.objects.filter(**lookup).values("version_id")
        )
    return rows.select_related("ci_class", "deployment_state", "current_incident_state")


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    other: ConfigItem
    label: str  # how the link reads from this CI's end
    link_type: str


def _link_rows(user, configitem: ConfigItem):
    """The CI's outgoing and incoming links to CIs the agent may see, each ordered by link
    type and the other CI's name, with that CI's class and state."""
    to_visible, from_visible = access.ci_conditions(user, "target", "source")
    outgoing = (
        Link.objects.filter(to_visible, source=configitem)
        .select_related("target__ci_class", "target__current_incident_state")
        .order_by("link_type", "target__name", "pk")
    )
    incoming = (
        Link.objects.filter(from_visible, target=configitem)
        .select_related("source__ci_class", "source__current_incident_state")
        .order_by("link_type", "source__name", "pk")
    )
    return outgoing, incoming


def _outgoing_row(link: Link) -> LinkRow:
    return LinkRow(link.pk, link.target, str(LinkType(link.link_type).label), link.link_type)


def _incoming_row(link: Link) -> LinkRow:
    label = REVERSE_LABELS.get(LinkType(link.link_type)) if link.link_type in POINTED else None
    return LinkRow(
        link.pk, link.source, str(label or LinkType(link.link_type).label), link.link_type
    )


def links(user, configitem: ConfigItem) -> tuple[list[LinkRow], int]:
    """The first :data:`LINKS_SHOWN` of the CI's links from both ends (outgoing first), only
    to CIs the agent may see, and how many there are in all (:func:`links_page` has them
    all, a page at a time)."""
    return _links_slice(user, configitem, 0, LINKS_SHOWN)


def all_links(user, configitem: ConfigItem) -> list[LinkRow]:
    """Every link of the CI, as :func:`links` orders them (the printed CI lists them all)."""
    outgoing, incoming = _link_rows(user, configitem)
    return [_outgoing_row(link) for link in outgoing] + [_incoming_row(link) for link in incoming]


def links_page(user, configitem: ConfigItem, number) -> Page:
    """Page ``number`` of all the CI's links, as :func:`links` orders them."""
    total = None

    def fetch(offset: int, limit: int) -> list[LinkRow]:
        nonlocal total
        rows, total = _links_slice(user, configitem, offset, limit)
        return rows

    def count() -> int:
        return total if total is not None else _links_slice(user, configitem, 0, 0)[1]

    return paginate(fetch, number=number, per_page=LINKS_PER_PAGE, total=count)


def _links_slice(user, configitem: ConfigItem, offset: int, limit: int):
    """``limit`` links from ``offset`` (outgoing, then incoming) and the total."""
    outgoing, incoming = _link_rows(user, configitem)
    n_out, n_in = outgoing.count(), incoming.count()
    rows = [_outgoing_row(link) for link in outgoing[offset : min(offset + limit, n_out)]]
    if len(rows) < limit:
        start = max(offset - n_out, 0)
        rows += [_incoming_row(link) for link in incoming[start : start + limit - len(rows)]]
    return rows, n_out + n_in


def tickets(user, configitem: ConfigItem) -> tuple[list, list]:
    """The CI's open and closed tickets, as far as the agent may see them."""
    links = TicketLink.objects.filter(configitem=configitem)
    found = list(
        ticket_access.visible_to(user, PermissionKey.RO)
        .filter(pk__in=links.values("ticket_id"))
        .select_related("state", "queue", "priority")
        .order_by("-created_at")[:TICKETS_SHOWN]
    )
    by_ticket = {
        ticket_id: (pk, link_type)
        for pk, ticket_id, link_type in links.filter(
            ticket_id__in=[t.pk for t in found]
        ).values_list("pk", "ticket_id", "link_type")
    }
    for ticket in found:
        ticket.ci_link_id, link_type = by_ticket[ticket.pk]
        ticket.ci_link_type = LinkType(link_type).label
    open_ = [t for t in found if not t.state.is_closed]
    closed = [t for t in found if t.state.is_closed]
    return open_, closed


def versions(configitem: ConfigItem) -> list[Version]:
    return list(
        Version.objects.filter(configitem=configitem)
        .select_related("deployment_state", "incident_state", "created_by", "definition")
        .order_by("-number")
    )


def history(configitem: ConfigItem) -> list[History]:
    return list(
        History.objects.filter(configitem=configitem).select_related("actor").order_by("-pk")[:200]
    )


def ticket_links(user, ticket) -> list[TicketLink]:
    """The ticket's CI links whose CI the agent may see, CIs with class and state loaded."""
    return list(
        TicketLink.objects.filter(
            ticket=ticket, configitem__in=access.visible_to(user).values("pk")
        )
        .select_related("configitem__ci_class", "configitem__current_incident_state")
        .order_by("configitem__name", "pk")
    )


def incident_class(state: CatalogItem) -> str:
    """A CSS class for an incident state's functionality."""
    return {
        Functionality.INCIDENT: "ci-incident",
        Functionality.WARNING: "ci-warning",
    }.get(Functionality(state.functionality or "operational"), "ci-operational")


def counts_by_state(rows) -> Counter:
    return Counter(r.current_incident_state_id for r in rows)


def faq_links(user, configitem: ConfigItem) -> list[FaqLink]:
    """The CI's FAQ items, as far as the agent reads them (one query)."""
    readable = faq_access.visible_to(user).values("pk")
    return list(
        FaqLink.objects.filter(configitem=configitem, item__in=readable)
        .select_related("item")
        .order_by("item__number")
    )


def service_links(configitem: ConfigItem) -> list[ServiceLink]:
    """The CI's services (one query); from the CI, "depends on" reads "required for"."""
    found = list(
        ServiceLink.objects.filter(configitem=configitem)
        .select_related("service")
        .order_by("service__name")
    )
    for link in found:
        kind = LinkType(link.link_type)
        # What the page shows for the link, read from the CI's end.
        setattr(link, "label", REVERSE_LABELS.get(kind, kind.label))  # noqa: B010
    return found


def configitems_of_faq_item(user, item_id: int) -> list[ConfigItem]:
    """The CIs linked to an FAQ item that the agent may see (the FAQ item page's panel)."""
    ids = FaqLink.objects.filter(item_id=item_id).values("configitem_id")
    return list(
        access.visible_to(user)
        .filter(pk__in=ids)
        .select_related("ci_class", "current_incident_state")
        .order_by("name")
    )


#: Attribute types a customer does not see on their CI's page: they name the service desk's
#: own people and queues, which the portal never shows.
CUSTOMER_HIDDEN_TYPES = frozenset({"agent", "queue"})


def customer_values(configitem: ConfigItem) -> list[dict]:
    """The current version's values as the customer portal shows them (see above)."""
    version = configitem.last_version
    if version is None:
        return []
    tree = attributes.Definition.of(configitem.ci_class)
    values = attributes.load([version.pk], tree).get(version.pk, {})
    shown = {
        path: value
        for path, value in values.items()
        if tree.spec(attributes.leaf_attribute(path)).attribute.field_type
        not in CUSTOMER_HIDDEN_TYPES
    }
    return attributes.rows(shown, tree)


def customer_tickets(user, configitem: ConfigItem) -> list:
    """The customer's tickets (as the portal lists them) linked to the CI, newest first."""
    ids = TicketLink.objects.filter(configitem=configitem).values("ticket_id")
    return list(ticket_access.visible_to(user).filter(pk__in=ids).order_by("-pk")[:TICKETS_SHOWN])
