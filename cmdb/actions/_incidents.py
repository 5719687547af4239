"""Incident propagation: an incident on a CI warns what is linked to it along the configured
link types and directions, transitively; the warning clears when no incident reaches it.

The current incident state of a CI is its version's state when that is *incident*; else
*warning* when a CI in incident reaches it (``CMDB_INCIDENT_LINK_TYPES``); else its version's
state. With ``CMDB_INCIDENT_FROM_TICKETS`` an open ticket linked "relevant to" counts as an
incident of the CI. A change recomputes the connected part of the graph around the CIs it
touched: a breadth-first walk that visits each CI once, so cycles end.
"""

from __future__ import annotations

from collections import defaultdict, deque

from django.conf import settings
from django.db.models import Q

from otrs import events

from ..choices import CmdbEvent, Functionality, HistoryType, LinkType
from ..models import CatalogItem, ConfigItem, History, Link, TicketLink
from ._base import incident_state_of, lock_graph

DIRECTIONS = ("source", "target", "both")


def incident_links() -> dict[str, str]:
    """Link type -> direction, from the setting (read at call time)."""
    result = {}
    for item in settings.CMDB_INCIDENT_LINK_TYPES:
        link_type, _sep, direction = item.partition(":")
        direction = (direction or "both").strip().lower()
        if link_type.strip() in LinkType.values and direction in DIRECTIONS:
            result[link_type.strip()] = direction
    return result


def _component(seed_ids: set[int], types: list[str]) -> tuple[set[int], list[tuple[int, int, str]]]:
    """The CIs connected to the seeds over links of ``types`` (either way), and those links;
    one query per step of the walk."""
    seen = set(seed_ids)
    frontier = set(seed_ids)
    edges: set[tuple[int, int, str]] = set()
    while frontier and types:
        found = Link.objects.filter(
            Q(source_id__in=frontier) | Q(target_id__in=frontier), link_type__in=types
        ).values_list("source_id", "target_id", "link_type")
        frontier = set()
        for source, target, link_type in found:
            edges.add((source, target, link_type))
            for ci_id in (source, target):
                if ci_id not in seen:
                    seen.add(ci_id)
                    frontier.add(ci_id)
    return seen, sorted(edges)


def _reached(sources: set[int], edges, directions: dict[str, str]) -> set[int]:
    """Every CI a warning travels to from ``sources`` (sources excluded unless reached from
    another source); each CI is visited once, so a cycle ends."""
    step: dict[int, set[int]] = defaultdict(set)
    for source, target, link_type in edges:
        direction = directions[link_type]
        if direction in ("source", "both"):
            step[target].add(source)  # the source depends on the target: it is warned
        if direction in ("target", "both"):
            step[source].add(target)
    reached: set[int] = set()
    queue = deque(sources)
    while queue:
        current = queue.popleft()
        for following in step[current]:
            if following not in reached:
                reached.add(following)
                queue.append(following)
    return reached


def _ticket_incidents(ci_ids: set[int]) -> set[int]:
    if not settings.CMDB_INCIDENT_FROM_TICKETS:
        return set()
    # Imported here: only this optional rule reads ticket states.
    from tickets.choices import StateType

    return set(
        TicketLink.objects.filter(configitem_id__in=ci_ids, link_type=LinkType.RELEVANT_TO)
        .exclude(ticket__state__state_type__in=[StateType.CLOSED, StateType.MERGED])
        .values_list("configitem_id", flat=True)
    )


def recalculate(seed_ids, *, actor) -> dict[int, int]:
    """Recompute the current incident state of the CIs connected to ``seed_ids``; write the
    ones that change (with a history row each). Returns ci id -> new state id.

    Runs in the caller's transaction under the graph lock (:func:`lock_graph`; the callers
    take it before any CI row, and it is taken here for those that cannot have touched the
    graph before, such as a new CI); the group's rows are then locked in id order and read
    under the lock, so the states computed are the committed ones."""
    lock_graph()
    directions = incident_links()
    ci_ids, edges = _component(set(seed_ids), list(directions))
    rows = list(
        ConfigItem.objects.select_for_update()
        .filter(pk__in=ci_ids)
        .order_by("pk")
        .values_list("pk", "incident_state_id", "current_incident_state_id")
    )
    functionality = dict(
        CatalogItem.objects.filter(pk__in={r[1] for r in rows} | {r[2] for r in rows}).values_list(
            "pk", "functionality"
        )
    )
    from_tickets = _ticket_incidents(ci_ids)
    incident_ids = {
        pk for pk, own, _cur in rows if functionality.get(own) == Functionality.INCIDENT
    } | from_tickets
    warned = _reached(incident_ids, edges, directions) - incident_ids
    warning = incident_state_of(Functionality.WARNING).pk
    incident = incident_state_of(Functionality.INCIDENT).pk if from_tickets else None
    changes: dict[int, tuple[int, int]] = {}
    wanted: int
    for pk, own, current in rows:
        if pk in from_tickets and incident is not None and functionality.get(own) != "incident":
            wanted = incident
        elif pk in warned:
            wanted = warning
        else:
            wanted = own
        if wanted != current:
            changes[pk] = (current, wanted)
    by_state: dict[int, list[int]] = defaultdict(list)
    for pk, (_old, new) in changes.items():
        by_state[new].append(pk)
    for state_id, pks in by_state.items():
        ConfigItem.objects.filter(pk__in=pks).update(current_incident_state_id=state_id)
    History.objects.bulk_create(
        [
            History(
                configitem_id=pk,
                history_type=HistoryType.CURRENT_INCIDENT_STATE,
                data={"old": old, "new": new},
                actor=actor,
            )
            for pk, (old, new) in sorted(changes.items())
        ]
    )
    if changes:
        events.record_many(
            [
                events.Event(
                    name=CmdbEvent.INCIDENT_STATE_UPDATE,
                    object_type="configitem",
                    object_id=pk,
                    actor_id=actor.pk,
                    payload={"old": old, "new": new, "current": True},
                )
                for pk, (old, new) in sorted(changes.items())
            ]
        )
    return {pk: new for pk, (_old, new) in changes.items()}
